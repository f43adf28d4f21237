"""History reads: the newest page, pages before or after a cursor, and long-polls.

``after=`` is honoured only without a gap: a cursor whose following events were trimmed, or
that belongs to another incarnation of the stream, is answered ``410`` (``CursorGone``) with
where the retained data begins and where the head is. A long-poll registers with the live feed
before its last read, so an event appended in between wakes it instead of being missed.
Pages are cut to ``max_bytes`` (``core.history``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from core.cursor import Cursor, StartAt
from core.errors import CursorGone
from core.events import StoredEvent
from core.history import HistoryPage, fit_newest_first, fit_oldest_first, has_older, page
from core.ports import EventLog, LiveFeed
from core.resume import EPOCH_CHANGED, Link, Reset, link, reason_for, reset_for, resolve


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A validated history request; at most one of ``after``/``before`` is set."""

    tenant: str
    stream: str
    after: StartAt | None
    before: Cursor | None
    limit: int
    wait_seconds: float
    max_bytes: int


async def load_page(query: HistoryQuery, log: EventLog, feed: LiveFeed) -> HistoryPage:
    """The page ``query`` asks for."""
    if query.after is not None:
        return await _forwards(query, query.after, log, feed)
    return await _backwards(query, log)


async def _backwards(query: HistoryQuery, log: EventLog) -> HistoryPage:
    state = await log.state(query.tenant, query.stream)
    before = query.before
    if before is not None and before.epoch is not None and before.epoch != state.epoch:
        raise _gone(reset_for(EPOCH_CHANGED, state))
    below = None if before is None else before.id
    read = await log.read_before(query.tenant, query.stream, below, query.limit + 1)
    events = fit_newest_first(read[-query.limit :], query.max_bytes)
    older = len(read) > len(events)
    empty_next = state.head_cursor if before is None else None
    return page(events, state, empty_next=empty_next, older=older)


async def _forwards(
    query: HistoryQuery, after: StartAt, log: EventLog, feed: LiveFeed
) -> HistoryPage:
    state = await log.state(query.tenant, query.stream)
    start = resolve(after, state)
    if start.reset is not None:
        raise _gone(start.reset)
    events = await _read(query, start.after, log)
    if not events and query.wait_seconds > 0:
        events = await _wait_for(query, start.after, log, feed)
        state = await log.state(query.tenant, query.stream)
    if events and (kind := link(start.after, events[0])) is not Link.NEXT:
        state = await log.state(query.tenant, query.stream)
        raise _gone(reset_for(reason_for(kind), state))
    fitting = fit_oldest_first(events, query.max_bytes)
    return page(fitting, state, empty_next=start.after, older=has_older(fitting, state))


async def _wait_for(
    query: HistoryQuery, after: Cursor, log: EventLog, feed: LiveFeed
) -> list[StoredEvent]:
    """Read until an event comes or the wait is over: a wake-up may bring only events the
    cursor already covers (the feed's position can trail it), so one wake is not enough."""
    clock = asyncio.get_running_loop().time
    until = clock() + query.wait_seconds
    async with feed.listen(query.tenant, query.stream, after.id) as listener:
        events = await _read(query, after, log)
        while not events and (left := until - clock()) > 0:
            if listener.overflowed or listener.closed:
                break
            await listener.next_batch(left)
            events = await _read(query, after, log)
    return events


async def _read(query: HistoryQuery, after: Cursor, log: EventLog) -> list[StoredEvent]:
    return await log.read_after(query.tenant, query.stream, after.id, query.limit)


def _gone(reset: Reset) -> CursorGone:
    return CursorGone(reset.reason, oldest=reset.oldest, head=reset.head)
