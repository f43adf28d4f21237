"""The burst policy: the only thing that decides when a burst ends, and how long it may wait.

Time is passed in (seconds on a monotonic clock), never read here, so every rule is tested
with plain numbers. The deadline of a burst is the smallest of: the client's ``max_seconds``,
the configured burst length, the invocation's remaining time minus the safety margin, and (in
buffered mode, where the gateway holds the whole response) the gateway's integration timeout
minus the margin. No burst may outlive its invocation.

The configured burst length is spread: each burst draws ``spread`` in [0, 1) and runs up to
``SPREAD`` (10 %) shorter. Clients that connected together (a deploy, a network blip) would
otherwise reconnect together every ``BURST_SECONDS``, forever; spread, they drift apart within
a few bursts. Only the server's own length is spread: a client's ``max_seconds`` and the
platform's limits are kept exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import msgspec


class Mode(StrEnum):
    """How a burst reaches the client (see DESIGN.md, "Two transports, one code path")."""

    STREAMING = "streaming"
    BUFFERED = "buffered"


class EndReason(StrEnum):
    """Why a burst ended; sent as ``burst-end``'s ``reason``."""

    DEADLINE = "deadline"
    BATCH = "batch"
    LIMIT = "limit"
    SLOW = "slow"
    SHUTDOWN = "shutdown"


SPREAD = 0.1


class Ready(msgspec.Struct, frozen=True):
    """The payload of the ``ready`` frame that opens every burst."""

    cursor: str
    mode: Mode
    deadline_ms: int


class BurstEnd(msgspec.Struct, frozen=True):
    """The payload of the ``burst-end`` frame that closes every burst."""

    cursor: str
    reason: EndReason
    retry_ms: int


@dataclass(frozen=True, slots=True)
class Budget:
    """The inputs to a burst's deadline; None means "not constrained by this"."""

    burst_seconds: float
    margin_ms: int
    max_seconds: float | None = None
    remaining_ms: int | None = None
    gateway_timeout_seconds: float | None = None
    spread: float = 0.0

    def seconds(self, mode: Mode) -> float:
        """How long the burst may run from now, never negative."""
        margin = self.margin_ms / 1000
        limits = [self.burst_seconds * (1 - SPREAD * self.spread)]
        if self.max_seconds is not None:
            limits.append(self.max_seconds)
        if self.remaining_ms is not None:
            limits.append(self.remaining_ms / 1000 - margin)
        if mode is Mode.BUFFERED and self.gateway_timeout_seconds is not None:
            limits.append(self.gateway_timeout_seconds - margin)
        return max(0.0, min(limits))


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-burst caps; the byte cap keeps a buffered answer far below Lambda's 6 MB."""

    heartbeat_seconds: float
    linger_seconds: float
    max_events: int
    max_bytes: int


@dataclass(slots=True)
class BurstPolicy:
    """Tracks one burst's progress and says when it must end and how long it may wait."""

    mode: Mode
    started: float
    deadline: float
    limits: Limits
    last_write: float
    events: int = 0
    bytes: int = 0
    first_event_at: float | None = None

    @classmethod
    def start(cls, mode: Mode, budget: Budget, limits: Limits, now: float) -> BurstPolicy:
        return cls(mode, now, now + budget.seconds(mode), limits, last_write=now)

    @property
    def deadline_ms(self) -> int:
        """Milliseconds from the burst's start to its deadline, as told to the client."""
        return round((self.deadline - self.started) * 1000)

    def wrote(self, now: float, *, events: int, nbytes: int) -> None:
        """Record a write of ``events`` events (0 for a ping or control frame)."""
        self.last_write = now
        self.bytes += nbytes
        if events:
            self.events += events
            if self.first_event_at is None:
                self.first_event_at = now

    def end_reason(self, now: float) -> EndReason | None:
        """Why the burst must end now, or None if it may go on."""
        if self.events >= self.limits.max_events or self.bytes >= self.limits.max_bytes:
            return EndReason.LIMIT
        if now >= self.deadline:
            return EndReason.DEADLINE
        if self._batch_done(now):
            return EndReason.BATCH
        return None

    def wait_seconds(self, now: float) -> float:
        """How long the burst may wait for events before it must act (end or ping)."""
        until = self.deadline
        if self.mode is Mode.STREAMING:
            until = min(until, self.last_write + self.limits.heartbeat_seconds)
        elif self.first_event_at is not None:
            until = min(until, self.first_event_at + self.limits.linger_seconds)
        return max(0.0, until - now)

    def ping_due(self, now: float) -> bool:
        """Whether a heartbeat comment should go out (streaming mode only)."""
        return (
            self.mode is Mode.STREAMING and now - self.last_write >= self.limits.heartbeat_seconds
        )

    def _batch_done(self, now: float) -> bool:
        return (
            self.mode is Mode.BUFFERED
            and self.first_event_at is not None
            and now >= self.first_event_at + self.limits.linger_seconds
        )
