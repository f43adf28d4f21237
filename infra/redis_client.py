"""Redis clients, built so that connections never grow with the number of SSE clients.

A process holds at most ``redis_pool_size`` command connections (a blocking pool: a burst waits
briefly for a free one rather than opening another), one for the live hub's blocking read,
and one for health checks, so ``/health`` answers however busy the pool is. With the default
pool size that is four connections whatever the load.

Every wait is bounded: connecting, each command, and waiting for a pooled connection all time
out after ``redis_timeout_seconds`` and surface as ``StoreUnavailable`` (``503``).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis

from infra.embedded import embedded_client
from infra.settings import Settings

_HUB_BLOCK_MS = 10_000


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
        return RedisClients(
            commands=embedded_client(),
            reader=embedded_client(),
            health=embedded_client(),
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
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=size,
        timeout=timeout,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        client_name=name,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool)
