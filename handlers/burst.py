"""One SSE burst: ``ready``, catch-up, live events and heartbeats, then ``burst-end``.

The burst policy (``core.policy``) alone decides when the burst ends; every wait here is
bounded by the time it allows, and the live-feed registration is released in a ``finally``
(leaving the ``async with``), whether the burst ended, failed or the client went away.

Every event is checked against the last one delivered (``core.resume.link``): duplicates are
skipped, and a gap (trimmed, or a new incarnation of the stream) is announced with a ``reset``
frame, after which delivery continues from the head. Nothing is skipped silently.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass

from core import sse
from core.cursor import StartAt
from core.errors import StoreUnavailable
from core.events import StoredEvent, StreamState
from core.policy import Budget, BurstEnd, BurstPolicy, EndReason, Limits, Mode, Ready
from core.ports import Clock, EventLog, Listener, LiveFeed
from core.resume import Link, link, reason_for, reset_for, resolve

log = logging.getLogger(__name__)

PAGE = 256
_MAX_RESETS_PER_BATCH = 2


@dataclass(frozen=True, slots=True)
class BurstRequest:
    """What a client asked for, already validated and authorised."""

    tenant: str
    stream: str
    start: StartAt
    mode: Mode
    budget: Budget


@dataclass(frozen=True, slots=True)
class BurstDeps:
    """What every burst of a process shares."""

    log: EventLog
    feed: LiveFeed
    clock: Clock
    limits: Limits
    retry_ms: int


class _Relink(Exception):
    """The stream kept changing under a batch; end the burst and let the client resume."""


class Burst:
    """A burst whose start was resolved before the response began (so errors get a status)."""

    def __init__(self, request: BurstRequest, deps: BurstDeps, state: StreamState) -> None:
        start = resolve(request.start, state)
        self._request = request
        self._deps = deps
        self._head = state.head
        self._last = start.after
        self._reset = start.reset
        self._policy = BurstPolicy.start(
            request.mode, request.budget, deps.limits, deps.clock.monotonic()
        )
        self._reason = EndReason.SHUTDOWN

    @classmethod
    async def open(cls, request: BurstRequest, deps: BurstDeps) -> Burst:
        """Read the stream's state; raises ``StoreUnavailable`` before any byte is sent."""
        state = await deps.log.state(request.tenant, request.stream)
        return cls(request, deps, state)

    @property
    def deadline(self) -> float:
        """When the burst ends at the latest, on the deps' monotonic clock."""
        return self._policy.deadline

    async def frames(self) -> AsyncGenerator[bytes, None]:
        """The whole burst as chunks of SSE frames; each chunk goes out in one send."""
        request = self._request
        yield self._opening()
        try:
            async with self._deps.feed.listen(request.tenant, request.stream, self._head) as feed:
                async for chunk in self._catch_up():
                    yield chunk
                async for chunk in self._follow(feed):
                    yield chunk
        except StoreUnavailable as exc:
            log.warning("burst on %s/%s lost its store: %s", request.tenant, request.stream, exc)
            self._reason = EndReason.SHUTDOWN
        except _Relink:
            self._reason = EndReason.SHUTDOWN
        yield self._closing()

    def _opening(self) -> bytes:
        """``retry``, ``ready`` and any ``reset``. With a reset, ``ready`` keeps the client's own
        cursor as its ``id``: only the ``reset`` frame moves the client to the head, so a
        connection cut between the two frames resumes with the same reset, not past a gap."""
        start = self._last if self._reset is None else self._request.start
        ready = Ready(str(self._last), self._request.mode, self._policy.deadline_ms)
        opening = sse.retry(self._deps.retry_ms) + sse.control("ready", ready, id=str(start))
        if self._reset is not None:
            opening += sse.control("reset", self._reset, id=self._reset.head)
        return opening

    def _closing(self) -> bytes:
        retry_ms = 0 if self._reason is EndReason.LIMIT else self._deps.retry_ms
        end = BurstEnd(str(self._last), self._reason, retry_ms)
        frame = sse.control("burst-end", end, id=str(self._last))
        return sse.retry(0) + frame if retry_ms == 0 else frame

    async def _catch_up(self) -> AsyncIterator[bytes]:
        request = self._request
        while self._policy.end_reason(self._deps.clock.monotonic()) is None:
            page = await self._deps.log.read_after(
                request.tenant, request.stream, self._last.id, PAGE
            )
            chunk = await self._deliver(page)
            if chunk:
                yield chunk
            if len(page) < PAGE:
                return

    async def _follow(self, feed: Listener) -> AsyncIterator[bytes]:
        clock = self._deps.clock
        while (reason := self._policy.end_reason(clock.monotonic())) is None:
            batch = await feed.next_batch(self._policy.wait_seconds(clock.monotonic()))
            if feed.overflowed or feed.closed:
                reason = EndReason.SLOW if feed.overflowed else EndReason.SHUTDOWN
                break
            if batch:
                chunk = await self._deliver(batch)
            elif self._policy.ping_due(clock.monotonic()):
                chunk = sse.PING
                self._policy.wrote(clock.monotonic(), events=0, nbytes=len(chunk))
            else:
                continue
            if chunk:
                yield chunk
        self._reason = reason

    async def _deliver(self, batch: Sequence[StoredEvent]) -> bytes:
        """Frames for the events of ``batch`` that follow the last one, within the caps."""
        parts: list[bytes] = []
        resets = 0
        for event in batch:
            kind = link(self._last, event)
            while kind is Link.TRIMMED or kind is Link.BROKEN:
                resets += 1
                if resets > _MAX_RESETS_PER_BATCH:
                    raise _Relink
                parts.append(await self._reset_now(reason_for(kind)))
                kind = link(self._last, event)
            if kind is Link.SEEN:
                continue
            frame = event.frame()
            parts.append(frame)
            self._last = event.cursor
            self._policy.wrote(self._deps.clock.monotonic(), events=1, nbytes=len(frame))
            if self._policy.end_reason(self._deps.clock.monotonic()) is EndReason.LIMIT:
                break
        return b"".join(parts)

    async def _reset_now(self, reason: str) -> bytes:
        state = await self._deps.log.state(self._request.tenant, self._request.stream)
        reset = reset_for(reason, state)
        self._last = state.head_cursor
        return sse.control("reset", reset, id=reset.head)
