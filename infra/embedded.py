"""The embedded store: an in-process Redis emulation (fakeredis), for a laptop with no Redis.

One emulated server per process, shared by every client, so publishers and the live hub see
the same data. It runs the same Lua scripts and commands as real Redis; it keeps nothing
across restarts and is refused on Lambda, where each container would have its own.
"""

from __future__ import annotations

import functools

import fakeredis
from redis.asyncio import Redis


@functools.cache
def _server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer(version=(7,))


def embedded_client() -> Redis:
    """A client of this process's emulated server."""
    client: Redis = fakeredis.FakeAsyncRedis(server=_server())
    return client
