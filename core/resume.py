"""Where a read starts, and how each event is checked against the one delivered before it.

The invariant: every entry stores the ID of its predecessor (written atomically on append).
The first entry after a cursor C has ``prev == C`` when nothing was lost and ``prev > C`` when
something between was trimmed; ``prev < C`` means C lies between two entries (a bare cursor
need not be an entry's ID), which loses nothing either. A new incarnation of the stream shows
in the epoch each entry carries. So a resume never resets falsely and never skips silently.
"""

from __future__ import annotations

from enum import Enum

import msgspec

from core.cursor import Cursor, StartAt
from core.events import StoredEvent, StreamState

CURSOR_EXPIRED = "cursor_expired"
EPOCH_CHANGED = "epoch_changed"


class Reset(msgspec.Struct, frozen=True):
    """The payload of a ``reset`` frame (and of a ``410``)."""

    reason: str
    oldest: str
    head: str


class Start(msgspec.Struct, frozen=True):
    """A resolved start: read after ``after``; ``reset`` says why it is not what was asked."""

    after: Cursor
    reset: Reset | None = None


def resolve(start: StartAt, state: StreamState) -> Start:
    """Resolve ``earliest``/``latest``/a cursor against a stream's state."""
    if start == "latest":
        return Start(state.head_cursor)
    if start == "earliest":
        return Start(state.oldest_cursor)
    reason = gap_reason(start, state)
    if reason is None:
        return Start(state.cursor(start.id))
    return Start(state.head_cursor, reset_for(reason, state))


def gap_reason(cursor: Cursor, state: StreamState) -> str | None:
    """Why reading after ``cursor`` would skip events, or None when it would not."""
    if cursor.epoch is not None and cursor.epoch != state.epoch:
        return EPOCH_CHANGED
    if cursor.id > state.head:
        return EPOCH_CHANGED
    if cursor.id == state.head:
        return None
    if state.oldest_prev is None or cursor.id < state.oldest_prev:
        return CURSOR_EXPIRED
    return None


def reset_for(reason: str, state: StreamState) -> Reset:
    """The reset to announce: where the retained data begins and where the head is."""
    oldest = state.oldest if state.oldest is not None else state.head
    return Reset(reason=reason, oldest=str(state.cursor(oldest)), head=str(state.head_cursor))


class Link(Enum):
    """How an event relates to the last one delivered."""

    NEXT = "next"
    SEEN = "seen"
    TRIMMED = "trimmed"
    BROKEN = "broken"


def link(last: Cursor, event: StoredEvent) -> Link:
    """Classify ``event`` against ``last``, the cursor of the last event delivered."""
    if last.epoch is not None and event.epoch != last.epoch:
        return Link.BROKEN
    if event.id <= last.id:
        return Link.SEEN
    return Link.TRIMMED if event.prev > last.id else Link.NEXT


def reason_for(link_: Link) -> str:
    """The reset reason a broken link announces."""
    return CURSOR_EXPIRED if link_ is Link.TRIMMED else EPOCH_CHANGED
