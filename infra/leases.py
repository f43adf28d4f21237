"""Connection leases on Redis (``core.ports.LeaseKeeper``): the fleet-wide cap on open bursts.

Every open burst holds one lease, counted against its tenant and against its user within that
tenant. Both lease sets carry the tenant's hash tag, so one Lua script (``lua/lease_acquire.lua``)
checks both limits and adds to both sets, or to neither, in one atomic step, and a Redis Cluster
keeps them in one slot. The per-user count is per tenant for that reason too.

A lease is a sorted-set member scored with its expiry on Redis' clock: the caller asks for the
burst's deadline plus a grace, so a lease whose process died (killed, or a Lambda frozen after
its invocation) stops counting shortly after its burst would have ended, with no sweeper.

``Retry-After`` on a refusal is the time until the full set's oldest lease expires at the
latest: the moment a slot is certain to be free (a disconnect may free one sooner).
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable

from redis.asyncio import Redis

from core.errors import TooManyRequests
from infra.keys import Keys, Kind
from infra.scripts import script
from infra.settings import Quota
from infra.store_errors import store_errors

TENANT_SET = "all"


class RedisLeaseKeeper:
    """``core.ports.LeaseKeeper`` on two sorted sets per tenant and user."""

    def __init__(self, redis: Redis, keys: Keys, quota: Callable[[str], Quota]) -> None:
        self._keys = keys
        self._quota = quota
        self._acquire = script(redis, "lease_acquire.lua")
        self._release = script(redis, "lease_release.lua")

    async def acquire(self, tenant: str, holder: str, seconds: float) -> str:
        """Take a lease that frees itself after ``seconds``; ``TooManyRequests`` when full."""
        lease = uuid.uuid4().hex
        quota = self._quota(tenant)
        limits = [quota.max_connections_per_tenant, quota.max_connections_per_user]
        args: list[str | int] = [lease, math.ceil(seconds * 1000), *limits]
        with store_errors():
            reply = await self._acquire(keys=self.keys_of(tenant, holder), args=args)
        if reply[0] != 1:
            raise _refusal(tenant, reply[1].decode(), int(reply[2]))
        return lease

    async def release(self, tenant: str, holder: str, lease: str) -> None:
        """Give a lease back at once; releasing an expired or released lease is harmless."""
        with store_errors():
            await self._release(keys=self.keys_of(tenant, holder), args=[lease])

    def keys_of(self, tenant: str, holder: str) -> list[str]:
        """The tenant's lease set and the user's (``holder``'s) lease set within it."""
        return [
            self._keys.of(Kind.TENANT_LEASES, tenant, TENANT_SET),
            self._keys.of(Kind.USER_LEASES, tenant, holder_key(holder)),
        ]


def holder_key(holder: str) -> str:
    """A user's subject as a key part: hashed, so no subject can shape a key."""
    return hashlib.sha256(holder.encode()).hexdigest()[:32]


def _refusal(tenant: str, which: str, wait_ms: int) -> TooManyRequests:
    scope = f"tenant {tenant!r}" if which == "tenant" else f"this user of tenant {tenant!r}"
    return TooManyRequests(
        f"too many open bursts for {scope}; retry later",
        retry_after=max(1, math.ceil(wait_ms / 1000)),
        code=f"{which}_connections",
    )
