"""The capabilities the domain needs from the outside world, one small Protocol each.

Real adapters live in ``infra``; one contract suite runs against every event-log adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from core.cursor import StreamId
from core.events import AppendResult, NewEvent, StoredEvent, StreamState


class EventLog(Protocol):
    """An append-only, trimmed, per-stream log of events (Redis Streams, or its emulation)."""

    async def append(
        self,
        tenant: str,
        stream: str,
        events: Sequence[NewEvent],
        *,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append a batch atomically, linking each entry to its predecessor."""
        ...

    async def replayed(
        self, tenant: str, stream: str, events: Sequence[NewEvent], idempotency_key: str
    ) -> AppendResult | None:
        """The first answer to a publish with this key, if there was one."""
        ...

    async def state(self, tenant: str, stream: str) -> StreamState:
        """The stream's epoch, head and oldest retained entry, read in one snapshot."""
        ...

    async def read_after(
        self, tenant: str, stream: str, after: StreamId, count: int
    ) -> list[StoredEvent]:
        """Up to ``count`` events with IDs above ``after``, oldest first."""
        ...

    async def read_before(
        self, tenant: str, stream: str, before: StreamId | None, count: int
    ) -> list[StoredEvent]:
        """Up to ``count`` events below ``before`` (or the newest), oldest first."""
        ...

    async def ping(self) -> None:
        """Return when the store answers; raise ``StoreUnavailable`` when it does not."""
        ...


class Listener(Protocol):
    """One burst's registration with the live feed: a bounded queue of new events."""

    @property
    def overflowed(self) -> bool:
        """True once the queue overflowed: the burst must end with ``slow``."""
        ...

    @property
    def closed(self) -> bool:
        """True once the feed shut down: the burst must end with ``shutdown``."""
        ...

    async def next_batch(self, timeout: float) -> list[StoredEvent]:
        """Every queued event, waiting up to ``timeout`` seconds for the first."""
        ...


class LiveFeed(Protocol):
    """New events of a stream pushed to its listeners as they are appended."""

    def listen(
        self, tenant: str, stream: str, after: StreamId
    ) -> AbstractAsyncContextManager[Listener]:
        """Register a listener for events after ``after``; leaving the block frees it."""
        ...


class Clock(Protocol):
    """Monotonic time, replaced by a fake in tests."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...


class LeaseKeeper(Protocol):
    """Fleet-wide connection leases: one per open burst, counted per tenant and per user."""

    async def acquire(self, tenant: str, holder: str, seconds: float) -> str:
        """Take a lease that frees itself after ``seconds``; ``TooManyRequests`` when full."""
        ...

    async def release(self, tenant: str, holder: str, lease: str) -> None:
        """Give a lease back at once; releasing an expired or released lease is harmless."""
        ...


class RateLimiter(Protocol):
    """A per-tenant budget of published events, shared by every process of the fleet."""

    async def take(self, tenant: str, cost: int) -> None:
        """Spend ``cost`` events, or raise ``TooManyRequests`` (``PayloadTooLarge`` if never)."""
        ...
