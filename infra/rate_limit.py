"""The publish rate limit on Redis (``core.ports.RateLimiter``): a token bucket per tenant.

One Lua script (``lua/rate_take.lua``) refills and spends the bucket atomically on Redis'
clock, so every process of the fleet shares one budget per tenant. A batch costs one token per
event; a refused batch spends nothing. A batch larger than the tenant's whole burst allowance
could never pass, so it is refused as too large (``413``) rather than told to retry.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from redis.asyncio import Redis

from core.errors import PayloadTooLarge, TooManyRequests
from infra.keys import Keys, Kind
from infra.scripts import script
from infra.settings import Quota
from infra.store_errors import store_errors

BUCKET = "publish"


class RedisRateLimiter:
    """``core.ports.RateLimiter`` as one token bucket per tenant."""

    def __init__(self, redis: Redis, keys: Keys, quota: Callable[[str], Quota]) -> None:
        self._keys = keys
        self._quota = quota
        self._take = script(redis, "rate_take.lua")

    async def take(self, tenant: str, cost: int) -> None:
        """Spend ``cost`` events, or raise ``TooManyRequests`` (``PayloadTooLarge`` if never)."""
        quota = self._quota(tenant)
        rate, burst = quota.publish_rate_per_second, quota.publish_burst
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
