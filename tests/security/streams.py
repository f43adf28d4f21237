"""Holding SSE bursts open from a test, and counting the leases they hold in Redis."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import redis
from httpx_sse import aconnect_sse

from infra.keys import Keys, Kind
from infra.leases import TENANT_SET, holder_key


class Held:
    """One burst request kept open after its ``ready`` frame (or its refusal, read in full)."""

    def __init__(self) -> None:
        self._stack = AsyncExitStack()
        self.response: httpx.Response | None = None
        self._events: Any = None

    @property
    def status(self) -> int:
        assert self.response is not None
        return self.response.status_code

    async def open(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
    ) -> Held:
        """Open the burst; the event iterator is kept, or collecting it would hang up."""
        params.setdefault("max_seconds", 30)
        source = await self._stack.enter_async_context(
            aconnect_sse(client, "GET", url, headers=headers, params=params)
        )
        self.response = source.response
        if self.response.status_code == 200:
            self._events = source.aiter_sse()
            first = await anext(self._events)
            assert first.event == "ready"
        else:
            await self.response.aread()
        return self

    async def close(self) -> None:
        await self._stack.aclose()


async def hold(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any) -> Held:
    return await Held().open(client, url, headers, **params)


def leases(sync_redis: redis.Redis, prefix: str, tenant: str, user: str | None = None) -> int:
    """How many leases the tenant's (or one user's) lease set holds right now."""
    keys = Keys(prefix)
    key = (
        keys.of(Kind.TENANT_LEASES, tenant, TENANT_SET)
        if user is None
        else keys.of(Kind.USER_LEASES, tenant, holder_key(user))
    )
    return int(sync_redis.zcard(key))


def refusal(response: Any) -> tuple[int, str, int]:
    """(status, error code, Retry-After) of a refused request."""
    return response.status_code, response.json()["error"], int(response.headers["retry-after"])
