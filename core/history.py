"""History pages: the JSON twin of a burst, with the same cursors.

A page's events are always in ascending order. ``head`` is the cursor a client passes to the
SSE endpoint after loading history; ``next`` continues forwards (``after=``), ``prev``
backwards (``before=``) and is null once the page begins at the oldest retained event.

A page is bounded in bytes as well as in events: 1000 events of 64 KiB would not fit in a
Lambda response (6 MB). A page cut short says so through its cursors, like any other page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from core.cursor import Cursor
from core.events import StoredEvent, StreamState

EVENT_OVERHEAD_BYTES = 128
"""A page entry's JSON beyond its data (id, type, time, punctuation), rounded up."""

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_WAIT_SECONDS = 25


class HistoryEvent(msgspec.Struct, frozen=True):
    """One event of a page; ``data`` is the published JSON, embedded as it was stored."""

    id: str
    type: str
    data: msgspec.Raw
    time: str


class HistoryPage(msgspec.Struct, frozen=True):
    """A page of history."""

    events: list[HistoryEvent]
    head: str
    next: str | None
    prev: str | None


def page(
    events: Sequence[StoredEvent],
    state: StreamState,
    *,
    empty_next: Cursor | None,
    older: bool,
) -> HistoryPage:
    """Build a page; ``older`` says whether retained events precede the page's first.

    ``next`` is the last event's cursor, or ``empty_next`` for a page without events: where a
    forward read goes on from (the head, or the ``after`` cursor), None after ``before=``.
    """
    last = events[-1].cursor if events else empty_next
    return HistoryPage(
        events=[_entry(event) for event in events],
        head=str(state.head_cursor),
        next=None if last is None else str(last),
        prev=str(events[0].cursor) if events and older else None,
    )


def fit_oldest_first(events: Sequence[StoredEvent], max_bytes: int) -> Sequence[StoredEvent]:
    """The longest prefix of ``events`` within ``max_bytes`` (never empty if events is not)."""
    return events[: _fitting(events, max_bytes)]


def fit_newest_first(events: Sequence[StoredEvent], max_bytes: int) -> Sequence[StoredEvent]:
    """The longest suffix of ``events`` within ``max_bytes`` (never empty if events is not)."""
    return events[len(events) - _fitting(reversed(events), max_bytes) :]


def _fitting(events: Iterable[StoredEvent], max_bytes: int) -> int:
    count = total = 0
    for event in events:
        total += len(event.data) + EVENT_OVERHEAD_BYTES
        if count and total > max_bytes:
            break
        count += 1
    return count


def has_older(events: Sequence[StoredEvent], state: StreamState) -> bool:
    """Whether retained events precede ``events`` (judged by the stream's oldest entry)."""
    return bool(events) and state.oldest is not None and events[0].id > state.oldest


def _entry(event: StoredEvent) -> HistoryEvent:
    return HistoryEvent(
        id=str(event.cursor), type=event.type, data=msgspec.Raw(event.data), time=event.time()
    )
