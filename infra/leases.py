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
from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from core.errors import TooManyRequests
from infra.keys import Keys, Kind
from infra.scripts import script
from infra.settings import Settings
from infra.store_errors import store_errors

TENANT_SET = "all"


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How many bursts a tenant, and one user of it, may hold open across the fleet."""

    per_tenant: int
    per_user: int
    overrides: Mapping[str, tuple[int | None, int | None]]

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        overrides = {
            tenant: (limits.max_connections_per_tenant, limits.max_connections_per_user)
            for tenant, limits in settings.tenant_limits.items()
        }
        return cls(
            settings.max_connections_per_tenant, settings.max_connections_per_user, overrides
        )

    def of(self, tenant: str) -> tuple[int, int]:
        """The (per tenant, per user) limits for ``tenant``, its overrides applied."""
        per_tenant, per_user = self.overrides.get(tenant, (None, None))
        return per_tenant or self.per_tenant, per_user or self.per_user


class RedisLeaseKeeper:
    """``core.ports.LeaseKeeper`` on two sorted sets per tenant and user."""

    def __init__(self, redis: Redis, keys: Keys, limits: ConnectionLimits) -> None:
        self._keys = keys
        self._limits = limits
        self._acquire = script(redis, "lease_acquire.lua")
        self._release = script(redis, "lease_release.lua")

    async def acquire(self, tenant: str, holder: str, seconds: float) -> str:
        """Take a lease that frees itself after ``seconds``; ``TooManyRequests`` when full."""
        lease = uuid.uuid4().hex
        per_tenant, per_user = self._limits.of(tenant)
        args: list[str | int] = [lease, math.ceil(seconds * 1000), per_tenant, per_user]
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
