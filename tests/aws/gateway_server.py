"""The local gateway for tests: in a thread of the test process (to look inside), or as the
``burstream gateway`` command in its own process (as a developer runs it)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from handlers.gateway import Gateway

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running(gateway: Gateway) -> Iterator[str]:
    """Serve ``gateway`` with uvicorn on a free port in a thread; yield its base URL."""
    config = uvicorn.Config(gateway, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    def run() -> None:
        loop = asyncio.new_event_loop()
        loop.run_until_complete(server.serve())
        loop.close()

    thread = threading.Thread(target=run, name="gateway-test", daemon=True)
    thread.start()
    stop = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < stop, "gateway did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def gateway_process(*args: str, log: Path) -> Iterator[str]:
    """Run ``burstream gateway --port 0 ARGS`` with this process's environment; yield its URL."""
    command = [sys.executable, "-m", "handlers.cli", "gateway", "--port", "0", *args]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"(http://\S+/api/v1)", banner)
        assert match, f"no URL in {banner!r}; stderr: {log.read_text()[-2000:]}"
        yield match[1]
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
