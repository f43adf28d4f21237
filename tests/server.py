"""The real app behind a real uvicorn on a free loopback port, in a thread of the test process.

Clients talk HTTP to it like any other client; the test can still look inside (the live hub,
the server's asyncio tasks) through ``RunningServer.call``, which runs a coroutine on the
server's own event loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn

from handlers.app import create_app
from handlers.bootstrap import Services, build_services
from infra.settings import Settings
from infra.tokens import TokenVerifier

SECRET = "test-secret-for-burstream-tests-0123456789abcdef"
T = TypeVar("T")


def settings_for(redis_url: str | None, prefix: str, **overrides: Any) -> Settings:
    """Settings for a test: its own key prefix, the test secret, the given overrides."""
    values: dict[str, Any] = {"redis_url": redis_url, "key_prefix": prefix, "jwt_secret": SECRET}
    values.update(overrides)
    return Settings(**values)


def token(tenants: list[str], scopes: str = "publish subscribe", **claims: Any) -> str:
    """A valid token signed with the test secret."""
    return TokenVerifier(SECRET).mint("tester", tenants, scopes.split(), **claims)


def auth(tenants: list[str], scopes: str = "publish subscribe") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(tenants, scopes)}"}


@dataclass
class RunningServer:
    url: str
    services: Services
    loop: asyncio.AbstractEventLoop

    def call(self, make: Callable[[], Awaitable[T]], timeout: float = 10) -> T:
        """Run ``make()`` on the server's loop and return its result."""

        async def run() -> T:
            return await make()

        future: Future[T] = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return future.result(timeout)

    def task_count(self) -> int:
        """How many asyncio tasks the server's loop holds (this probe's own excluded)."""

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1

        return self.call(count)


@contextmanager
def serve(settings: Settings, **build: Any) -> Iterator[RunningServer]:
    """Start uvicorn with ``create_app(settings)``; stop it (and close its services) after.

    ``build`` goes to ``build_services`` (``on_lambda=True`` plays the Lambda Web Adapter).
    """
    services = build_services(settings, **build)
    app = create_app(settings, services)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    loops: list[asyncio.AbstractEventLoop] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())
        loop.run_until_complete(services.aclose())
        loop.close()

    thread = threading.Thread(target=run, name="uvicorn-test", daemon=True)
    thread.start()
    _wait_until(lambda: server.started, what="uvicorn to start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", services, loops[0])
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _wait_until(ready: Callable[[], bool], *, what: str, seconds: float = 10) -> None:
    stop = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > stop:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)
