"""History pages: the JSON twin of a burst, with the same cursors.

A page's events are always in ascending order. ``head`` is the cursor a client passes to the
SSE endpoint after loading history; ``next`` continues forwards (``after=``), ``prev``
backwards (``before=``) and is null once the page begins at the oldest retained event.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from core.cursor import Cursor
from core.events import StoredEvent, StreamState

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
    events: Sequence[StoredEvent], state: StreamState, *, after: Cursor | None, older: bool
) -> HistoryPage:
    """Build a page; ``older`` says whether retained events precede the page's first."""
    last = events[-1].cursor if events else after or state.head_cursor
    return HistoryPage(
        events=[_entry(event) for event in events],
        head=str(state.head_cursor),
        next=str(last),
        prev=str(events[0].cursor) if events and older else None,
    )


def has_older(events: Sequence[StoredEvent], state: StreamState) -> bool:
    """Whether retained events precede ``events`` (judged by the stream's oldest entry)."""
    return bool(events) and state.oldest is not None and events[0].id > state.oldest


def _entry(event: StoredEvent) -> HistoryEvent:
    return HistoryEvent(
        id=str(event.cursor), type=event.type, data=msgspec.Raw(event.data), time=event.time()
    )
