"""The embedded store: an in-process Redis emulation (fakeredis), for a laptop with no Redis.

One emulated server per process, shared by every client, so publishers and the live hub see
the same data. It runs the same Lua scripts and commands as real Redis; it keeps nothing
across restarts and is refused on Lambda, where each container would have its own.

Its clients queue for a connection like the real ones (a blocking pool): redis-py's default
pool refuses the 101st concurrent command instead of waiting.
"""

from __future__ import annotations

import functools

import fakeredis
from redis.asyncio import BlockingConnectionPool, Redis

_MAX_CONNECTIONS = 64


@functools.cache
def _server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer(version=(7,))


def embedded_client(*, pool_wait_seconds: float) -> Redis:
    """A client of this process's emulated server."""
    client: Redis = fakeredis.FakeAsyncRedis(
        server=_server(),
        connection_pool_class=BlockingConnectionPool,
        max_connections=_MAX_CONNECTIONS,
    )
    if isinstance(client.connection_pool, BlockingConnectionPool):
        client.connection_pool.timeout = pool_wait_seconds
    return client
