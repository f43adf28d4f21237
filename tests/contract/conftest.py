"""One backend fixture for the contract suite: real Redis, and the embedded emulation.

Both run the same adapters (``RedisEventLog``, ``LiveHub``) over a ``redis.asyncio`` client
built by ``infra.redis_client.connect``; only the client differs. Every key lives under the
test's own ``prefix``, so tests on the shared embedded server (one per process) stay apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from redis.asyncio import Redis

from core.events import NewEvent
from infra.hub import LiveHub
from infra.keys import Keys
from infra.redis_client import RedisClients, connect
from infra.redis_log import RedisEventLog, Retention
from infra.settings import Settings
from tests.server import SECRET

KEEP_ALL = Retention(max_events=1_000_000, max_age_seconds=0)
"""No trimming in practice: a test that needs trimming builds its own log."""

QUEUE_SIZE = 1024
HANG_GUARD = 5
"""Seconds before a wait counts as a hang (a guard, never a performance threshold)."""


@dataclass
class Backend:
    """The adapters under test, and the raw client a test uses to inspect or tamper."""

    name: str
    settings: Settings
    clients: RedisClients
    keys: Keys
    log: RedisEventLog
    hub: LiveHub = field(init=False)
    _hubs: list[LiveHub] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.hub = self.new_hub()

    @property
    def redis(self) -> Redis:
        """The command client (the one the log uses): for XLEN, DEL, XTRIM, SCAN..."""
        return self.clients.commands

    @property
    def real(self) -> bool:
        return not self.clients.embedded

    def event_log(self, retention: Retention) -> RedisEventLog:
        """A log on the same store with its own retention."""
        return RedisEventLog(self.clients.commands, self.keys, retention)

    def new_hub(self, *, queue_size: int = QUEUE_SIZE, block_ms: int | None = None) -> LiveHub:
        """A hub on the same clients with its own limits; closed when the test ends."""
        hub = LiveHub(
            self.clients.reader,
            self.clients.commands,
            self.keys,
            queue_size=queue_size,
            block_ms=self.clients.hub_block_ms if block_ms is None else block_ms,
        )
        self._hubs.append(hub)
        return hub

    async def aclose(self) -> None:
        try:
            with anyio.fail_after(HANG_GUARD):
                for hub in self._hubs:
                    await hub.close()
                await _settle_wakeups()
        finally:
            await self.clients.aclose()


def settings_for(redis_url: str | None, prefix: str, **overrides: Any) -> Settings:
    return Settings(redis_url=redis_url, key_prefix=prefix, jwt_secret=SECRET, **overrides)


def build_backend(name: str, settings: Settings, retention: Retention = KEEP_ALL) -> Backend:
    """Adapters over clients from ``connect``, named after the prefix so ``CLIENT LIST`` can
    tell this test's connections from those of any other run on the same Redis."""
    clients = connect(settings, name=f"burstream-{settings.key_prefix}")
    keys = Keys(settings.key_prefix)
    log = RedisEventLog(clients.commands, keys, retention)
    return Backend(name=name, settings=settings, clients=clients, keys=keys, log=log)


async def _settle_wakeups() -> None:
    """Let fire-and-forget hub wake-ups finish before their client closes under them."""
    current = asyncio.current_task()
    pending = [
        task
        for task in asyncio.all_tasks()
        if task is not current and "LiveHub._wake" in getattr(task.get_coro(), "__qualname__", "")
    ]
    if pending:
        await asyncio.wait(pending, timeout=5)


async def _drop_keys(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await client.delete(*keys)


@pytest.fixture(
    params=[
        pytest.param("redis", marks=pytest.mark.redis, id="redis"),
        pytest.param("embedded", id="embedded"),
    ]
)
async def backend(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Backend]:
    """The adapters on real Redis (skips when there is none) and on the embedded store."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    built = build_backend(request.param, settings_for(url, prefix))
    try:
        yield built
    finally:
        if not built.real:
            await _drop_keys(built.redis, prefix)
        await built.aclose()


@pytest.fixture
async def real_backend(redis_url: str, prefix: str) -> AsyncIterator[Backend]:
    """The adapters on real Redis only, for checks the emulation cannot answer honestly."""
    built = build_backend("redis", settings_for(redis_url, prefix, redis_pool_size=1))
    try:
        yield built
    finally:
        await built.aclose()


def events(count: int, kind: str = "metric", start: int = 0) -> list[NewEvent]:
    """``count`` distinct events whose data records their position."""
    return [NewEvent(type=kind, data=b'{"n":%d}' % n) for n in range(start, start + count)]
