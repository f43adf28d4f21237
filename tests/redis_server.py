"""Find a Redis for the tests, or start a throwaway one, or say loudly that there is none.

Order: ``BURSTREAM_TEST_REDIS_URL``, then 127.0.0.1:6379, then a ``redis-server`` from PATH on a
free port (stopped when the run ends). With none at all, Redis-only tests skip with a loud
notice, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

import redis

DEFAULT_URL = "redis://127.0.0.1:6379/0"


@dataclass
class TestRedis:
    url: str | None
    process: subprocess.Popen[bytes] | None = None
    why_not: str = ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def acquire() -> TestRedis:
    """A Redis to test against, or the reason there is none."""
    configured = os.environ.get("BURSTREAM_TEST_REDIS_URL")
    candidates = [configured] if configured else [DEFAULT_URL]
    for url in candidates:
        if answers(url):
            return TestRedis(url)
    return _start_throwaway()


def _start_throwaway() -> TestRedis:
    binary = shutil.which("redis-server")
    if binary is None:
        return TestRedis(None, why_not="no Redis answers and no redis-server is on PATH")
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if answers(url):
            return TestRedis(url, process)
        time.sleep(0.05)
    process.kill()
    return TestRedis(None, why_not=f"redis-server on port {port} did not answer")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
