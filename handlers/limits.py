"""The fleet-wide limits as the routes apply them: connection leases and the publish rate.

A burst's lease is taken after authorisation and before the stream's state is read, so a
caller over its limit costs one Redis round trip and gets ``429`` with ``Retry-After`` before
any stream work. It lives for the burst's deadline plus ``lease_grace_seconds`` and is given
back as soon as the burst's frames end, before the response's final send, so a client that
reconnects the moment its response ends (``EventSource`` does) finds its slot free. The whole
ASGI response is wrapped as well, because a generator closed before its first frame never runs
its ``finally``, and a response whose first ``send`` fails never closes it; whichever comes
first gives the lease back, once. A process that dies gives nothing back; its leases expire by
themselves (``infra.leases``).

A history long-poll (``wait=``) holds a lease too, for as long as it may wait: it is a long
connection like a burst, and one user must not hold any number of them.

A publish spends one token per event from its tenant's bucket, after the body is decoded (the
cost is the batch's length) and before anything is appended.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

from litestar.types import Receive, Scope, Send

from core.errors import StoreUnavailable, TooManyRequests
from core.ports import LeaseKeeper
from handlers.burst import Burst, BurstRequest
from handlers.metrics import SecurityMetrics, metrics_of
from handlers.requests import Admitted, AnyRequest, services_of
from handlers.sse_response import SSEResponse

log = logging.getLogger(__name__)


class HeldLease:
    """A lease this request holds; given back once, however many paths try."""

    def __init__(self, keeper: LeaseKeeper, tenant: str, holder: str, lease: str) -> None:
        self.keeper = keeper
        self.tenant = tenant
        self.holder = holder
        self.lease = lease
        self._released = False

    async def release(self) -> None:
        """Give the lease back; if the store is down, it expires by itself instead."""
        if self._released:
            return
        self._released = True
        try:
            await self.keeper.release(self.tenant, self.holder, self.lease)
        except StoreUnavailable as exc:
            log.warning("lease on %s not released (%s); it expires by itself", self.tenant, exc)


class LeasedResponse:
    """An SSE response that gives its lease back when it ends, and counts itself while open."""

    def __init__(self, response: SSEResponse, lease: HeldLease, metrics: SecurityMetrics) -> None:
        self._response = response
        self._lease = lease
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._metrics.burst_opened(self._lease.tenant)
        try:
            await self._response(scope, receive, send)
        finally:
            self._metrics.burst_closed(self._lease.tenant)
            await self._lease.release()


async def leased_burst(
    request: AnyRequest, admitted: Admitted, burst_request: BurstRequest
) -> LeasedResponse:
    """Take a lease, then open the burst under it; ``TooManyRequests`` when over a limit."""
    services = services_of(request)
    seconds = burst_request.budget.seconds(burst_request.mode)
    lease = await _take_lease(request, admitted, seconds)
    try:
        burst = await Burst.open(burst_request, services.burst)
    except BaseException:
        await lease.release()
        raise
    clock = services.burst.clock.monotonic
    frames = _releasing(burst.frames(), lease)
    response = SSEResponse(frames, deadline=burst.deadline, clock=clock)
    return LeasedResponse(response, lease, metrics_of(request))


async def _releasing(
    frames: AsyncGenerator[bytes, None], lease: HeldLease
) -> AsyncGenerator[bytes, None]:
    """``frames``, giving the lease back as soon as they end: before the response's last
    (empty) send, so a client that reconnects on seeing the response end finds it free."""
    try:
        async for chunk in frames:
            yield chunk
    finally:
        await frames.aclose()
        await lease.release()


async def throttle(request: AnyRequest, tenant: str, events: int) -> None:
    """Spend ``events`` from ``tenant``'s publish budget; ``TooManyRequests`` when spent."""
    try:
        await services_of(request).rate.take(tenant, events)
    except TooManyRequests:
        metrics_of(request).throttled(tenant)
        raise


@asynccontextmanager
async def leased(request: AnyRequest, admitted: Admitted, seconds: float) -> AsyncIterator[None]:
    """Hold a lease for a wait of ``seconds`` (a history long-poll): released when it ends."""
    lease = await _take_lease(request, admitted, seconds)
    try:
        yield
    finally:
        await lease.release()


async def _take_lease(request: AnyRequest, admitted: Admitted, seconds: float) -> HeldLease:
    services = services_of(request)
    seconds += services.settings.lease_grace_seconds
    holder = admitted.principal.subject
    try:
        lease = await services.leases.acquire(admitted.tenant, holder, seconds)
    except TooManyRequests as exc:
        metrics_of(request).lease_refused(admitted.tenant, exc.code)
        raise
    return HeldLease(services.leases, admitted.tenant, holder, lease)
