"""Redis clients, built so that connections never grow with the number of SSE clients.

A process holds at most ``redis_pool_size`` command connections (a blocking pool: a burst waits
briefly for a free one rather than opening another), one for the live hub's blocking read,
and one for health checks, so ``/health`` answers however busy the pool is. With the default
pool size that is four connections whatever the load.

Every wait is bounded, and an outage is told apart from a crowd:
- connecting and each command time out after ``redis_timeout_seconds`` (``503``);
- once a connection attempt fails, the pool fails at once for the next second instead of
  letting every queued request try (and wait) again: an unreachable store answers ``503``
  within about a second, never a hang;
- waiting for a free pooled connection is bounded more loosely (``POOL_WAIT_SECONDS``), because
  a crowd of bursts opening at once (a deploy, a synchronised reconnect) is load, not an outage:
  it queues briefly instead of failing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from infra.settings import Settings

_HUB_BLOCK_MS = 10_000
POOL_WAIT_SECONDS = 5.0
_COOLDOWN_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class RedisClients:
    """The three clients of one process: commands, the hub's reader, health checks."""

    commands: Redis
    reader: Redis
    health: Redis
    hub_block_ms: int
    embedded: bool
    name: str

    async def aclose(self) -> None:
        for client in (self.commands, self.reader, self.health):
            await client.aclose(close_connection_pool=True)


def connect(settings: Settings, *, name: str = "burstream") -> RedisClients:
    """Build (not connect) the clients; connections open lazily on first use.

    Connections are named ``<name>-cmd``, ``<name>-hub`` and ``<name>-health`` (``CLIENT LIST``
    shows who holds what).
    """
    if settings.redis_url is None:
        from infra.embedded import embedded_client  # fakeredis: not imported on Lambda

        return RedisClients(
            commands=embedded_client(pool_wait_seconds=POOL_WAIT_SECONDS),
            reader=embedded_client(pool_wait_seconds=POOL_WAIT_SECONDS),
            health=embedded_client(pool_wait_seconds=POOL_WAIT_SECONDS),
            hub_block_ms=_HUB_BLOCK_MS,
            embedded=True,
            name=name,
        )
    timeout = settings.redis_timeout_seconds
    return RedisClients(
        commands=_client(settings.redis_url, f"{name}-cmd", settings.redis_pool_size, timeout),
        reader=_client(settings.redis_url, f"{name}-hub", 1, _HUB_BLOCK_MS / 1000 + timeout),
        health=_client(settings.redis_url, f"{name}-health", 1, timeout),
        hub_block_ms=_HUB_BLOCK_MS,
        embedded=False,
        name=name,
    )


def _client(url: str, name: str, size: int, timeout: float) -> Redis:
    pool = FailFastPool.from_url(
        url,
        max_connections=size,
        timeout=max(timeout, POOL_WAIT_SECONDS),
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        client_name=name,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool)


class FailFastPool(BlockingConnectionPool):
    """A blocking pool that stops connecting for a second after a connection attempt failed."""

    _down_until = 0.0

    async def ensure_connection(self, connection: AbstractConnection) -> None:
        if not connection.is_connected and time.monotonic() < self._down_until:
            raise RedisConnectionError("store unreachable (a connection failed under 1 s ago)")
        try:
            await super().ensure_connection(connection)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            self._down_until = time.monotonic() + _COOLDOWN_SECONDS
            raise
