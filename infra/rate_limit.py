"""The publish rate limit on Redis (``core.ports.RateLimiter``): a token bucket per tenant.

One Lua script (``lua/rate_take.lua``) refills and spends the bucket atomically on Redis'
clock, so every process of the fleet shares one budget per tenant. A batch costs one token per
event; a refused batch spends nothing. A batch larger than the tenant's whole burst allowance
could never pass, so it is refused as too large (``413``) rather than told to retry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from core.errors import PayloadTooLarge, TooManyRequests
from infra.keys import Keys, Kind
from infra.scripts import script
from infra.settings import Settings
from infra.store_errors import store_errors

BUCKET = "publish"


@dataclass(frozen=True, slots=True)
class PublishLimits:
    """Events per second and the burst allowance of every tenant, with per-tenant overrides."""

    rate: float
    burst: int
    overrides: Mapping[str, tuple[float | None, int | None]]

    @classmethod
    def from_settings(cls, settings: Settings) -> PublishLimits:
        overrides = {
            tenant: (limits.publish_rate_per_second, limits.publish_burst)
            for tenant, limits in settings.tenant_limits.items()
        }
        return cls(settings.publish_rate_per_second, settings.publish_burst, overrides)

    def of(self, tenant: str) -> tuple[float, int]:
        """The (rate, burst) for ``tenant``, its overrides applied."""
        rate, burst = self.overrides.get(tenant, (None, None))
        return rate or self.rate, burst or self.burst


class RedisRateLimiter:
    """``core.ports.RateLimiter`` as one token bucket per tenant."""

    def __init__(self, redis: Redis, keys: Keys, limits: PublishLimits) -> None:
        self._keys = keys
        self._limits = limits
        self._take = script(redis, "rate_take.lua")

    async def take(self, tenant: str, cost: int) -> None:
        """Spend ``cost`` events, or raise ``TooManyRequests`` (``PayloadTooLarge`` if never)."""
        rate, burst = self._limits.of(tenant)
        key = self._keys.of(Kind.PUBLISH_BUCKET, tenant, BUCKET)
        with store_errors():
            reply = await self._take(keys=[key], args=[repr(rate), burst, cost])
        if reply[0] == 1:
            return
        if reply[0] == -1:
            raise PayloadTooLarge(
                f"a batch of {cost} events is over tenant {tenant!r}'s burst allowance of {burst}",
                code="batch_over_burst",
            )
        raise TooManyRequests(
            f"tenant {tenant!r} is over its publish rate of {rate:g} events per second",
            retry_after=max(1, math.ceil(int(reply[1]) / 1000)),
            code="publish_rate",
        )
