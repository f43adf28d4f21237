"""Where a read starts, and how each event links to the one delivered before it."""

from __future__ import annotations

import msgspec
import pytest

from core.cursor import Cursor, StartAt, StreamId
from core.events import StoredEvent, StreamState
from core.resume import (
    CURSOR_EXPIRED,
    EPOCH_CHANGED,
    Link,
    Reset,
    Start,
    link,
    reason_for,
    reset_for,
    resolve,
)

EP = "ep"

# Events 1-0..5-0, nothing trimmed: the oldest entry's predecessor is 0-0.
UNTRIMMED = StreamState(
    epoch=EP, head=StreamId(5, 0), oldest=StreamId(1, 0), oldest_prev=StreamId(0, 0)
)
# Events up to 9-0; everything up to 4-0 trimmed, 5-0 is the oldest retained.
TRIMMED = StreamState(
    epoch=EP, head=StreamId(9, 0), oldest=StreamId(5, 0), oldest_prev=StreamId(4, 0)
)
# Events up to 9-0, every one trimmed by age.
EMPTIED = StreamState(epoch=EP, head=StreamId(9, 0), oldest=None, oldest_prev=None)
# A stream nobody ever published to.
UNTOUCHED = StreamState(epoch=None, head=StreamId(0, 0), oldest=None, oldest_prev=None)


def _c(ms: int, seq: int = 0, epoch: str | None = EP) -> Cursor:
    return Cursor(StreamId(ms, seq), epoch)


def _reset(reason: str, oldest: str, head: str) -> Reset:
    return Reset(reason=reason, oldest=oldest, head=head)


RESOLVE_CASES = [
    ("latest", UNTRIMMED, Start(_c(5))),
    ("latest", TRIMMED, Start(_c(9))),
    ("earliest", UNTRIMMED, Start(_c(0))),
    ("earliest", TRIMMED, Start(_c(4))),
    ("earliest", EMPTIED, Start(_c(9))),
    (_c(9), TRIMMED, Start(_c(9))),
    (_c(9, epoch=None), TRIMMED, Start(_c(9))),
    (_c(6), TRIMMED, Start(_c(6))),
    (_c(6, epoch=None), TRIMMED, Start(_c(6))),
    (_c(5), TRIMMED, Start(_c(5))),
    (_c(4), TRIMMED, Start(_c(4))),
    (_c(0), UNTRIMMED, Start(_c(0))),
    (_c(3), TRIMMED, Start(_c(9), _reset(CURSOR_EXPIRED, "5-0.ep", "9-0.ep"))),
    (_c(3, 9), TRIMMED, Start(_c(9), _reset(CURSOR_EXPIRED, "5-0.ep", "9-0.ep"))),
    (_c(0, epoch=None), TRIMMED, Start(_c(9), _reset(CURSOR_EXPIRED, "5-0.ep", "9-0.ep"))),
    (_c(8), EMPTIED, Start(_c(9), _reset(CURSOR_EXPIRED, "9-0.ep", "9-0.ep"))),
    (_c(9), EMPTIED, Start(_c(9))),
    (_c(6, epoch="old"), TRIMMED, Start(_c(9), _reset(EPOCH_CHANGED, "5-0.ep", "9-0.ep"))),
    (_c(9, epoch="old"), TRIMMED, Start(_c(9), _reset(EPOCH_CHANGED, "5-0.ep", "9-0.ep"))),
    (_c(3, epoch="old"), TRIMMED, Start(_c(9), _reset(EPOCH_CHANGED, "5-0.ep", "9-0.ep"))),
    (_c(10, epoch=None), TRIMMED, Start(_c(9), _reset(EPOCH_CHANGED, "5-0.ep", "9-0.ep"))),
    (_c(9, 1, epoch=None), TRIMMED, Start(_c(9), _reset(EPOCH_CHANGED, "5-0.ep", "9-0.ep"))),
    (_c(10), TRIMMED, Start(_c(9), _reset(EPOCH_CHANGED, "5-0.ep", "9-0.ep"))),
    ("latest", UNTOUCHED, Start(_c(0, epoch=None))),
    ("earliest", UNTOUCHED, Start(_c(0, epoch=None))),
    (_c(0, epoch=None), UNTOUCHED, Start(_c(0, epoch=None))),
    (_c(3, epoch=None), UNTOUCHED, Start(_c(0, epoch=None), _reset(EPOCH_CHANGED, "0-0", "0-0"))),
    (_c(0), UNTOUCHED, Start(_c(0, epoch=None), _reset(EPOCH_CHANGED, "0-0", "0-0"))),
    (_c(3), UNTOUCHED, Start(_c(0, epoch=None), _reset(EPOCH_CHANGED, "0-0", "0-0"))),
]


@pytest.mark.parametrize(
    ("start", "state", "expected"),
    RESOLVE_CASES,
    ids=[
        "latest",
        "latest-trimmed",
        "earliest-untrimmed",
        "earliest-trimmed",
        "earliest-all-trimmed",
        "cursor-equals-head",
        "bare-equals-head-gets-epoch",
        "cursor-inside-retention",
        "bare-inside-retention-gets-epoch",
        "cursor-at-oldest",
        "cursor-at-oldest-predecessor",
        "cursor-zero-untrimmed",
        "cursor-before-oldest-predecessor",
        "cursor-seq-before-oldest-predecessor",
        "bare-zero-trimmed",
        "all-trimmed-cursor-behind-head",
        "all-trimmed-cursor-at-head",
        "epoch-mismatch",
        "epoch-mismatch-at-head",
        "epoch-mismatch-beats-expired",
        "bare-ahead-of-head",
        "bare-seq-ahead-of-head",
        "cursor-ahead-of-head",
        "untouched-latest",
        "untouched-earliest",
        "untouched-bare-zero",
        "untouched-bare-ahead",
        "untouched-cursor-with-epoch-at-zero",
        "untouched-cursor-with-epoch",
    ],
)
def test_resolve(start: StartAt, state: StreamState, expected: Start) -> None:
    assert resolve(start, state) == expected


def test_reset_for_payload() -> None:
    reset = reset_for(CURSOR_EXPIRED, TRIMMED)

    assert msgspec.json.encode(reset) == (
        b'{"reason":"cursor_expired","oldest":"5-0.ep","head":"9-0.ep"}'
    )


def test_reset_for_without_retained_events_points_at_head() -> None:
    assert reset_for(EPOCH_CHANGED, EMPTIED) == _reset(EPOCH_CHANGED, "9-0.ep", "9-0.ep")
    assert reset_for(EPOCH_CHANGED, UNTOUCHED) == _reset(EPOCH_CHANGED, "0-0", "0-0")


def _event(ms: int, prev: StreamId, *, seq: int = 0, epoch: str = EP) -> StoredEvent:
    return StoredEvent(StreamId(ms, seq), prev, epoch, "message", b"1")


LINK_CASES = [
    (_c(5), _event(6, StreamId(5, 0)), Link.NEXT),
    (_c(5, 1), _event(5, StreamId(5, 1), seq=2), Link.NEXT),
    (_c(5, epoch=None), _event(6, StreamId(5, 0)), Link.NEXT),
    (_c(0), _event(1, StreamId(0, 0)), Link.NEXT),
    (_c(5), _event(5, StreamId(4, 0)), Link.SEEN),
    (_c(5), _event(3, StreamId(2, 0)), Link.SEEN),
    (_c(5, 10), _event(5, StreamId(5, 8), seq=9), Link.SEEN),
    (_c(5), _event(8, StreamId(7, 0)), Link.TRIMMED),
    (_c(5, 1), _event(5, StreamId(5, 9), seq=10), Link.TRIMMED),
    (_c(5, epoch=None), _event(8, StreamId(7, 0)), Link.TRIMMED),
    (_c(5), _event(8, StreamId(3, 0)), Link.NEXT),
    (_c(5), _event(6, StreamId(5, 0), epoch="new"), Link.BROKEN),
    (_c(5), _event(3, StreamId(2, 0), epoch="new"), Link.BROKEN),
    (_c(5), _event(9, StreamId(7, 0), epoch="new"), Link.BROKEN),
]


@pytest.mark.parametrize(
    ("last", "event", "expected"),
    LINK_CASES,
    ids=[
        "next",
        "next-same-ms",
        "next-after-bare",
        "next-first-event",
        "seen-same-id",
        "seen-older",
        "seen-seq-numeric",
        "trimmed",
        "trimmed-seq-numeric",
        "trimmed-after-bare",
        "next-cursor-between-entries",
        "broken-epoch-even-if-prev-matches",
        "broken-epoch-even-if-seen",
        "broken-epoch-even-if-trimmed",
    ],
)
def test_link(last: Cursor, event: StoredEvent, expected: Link) -> None:
    assert link(last, event) is expected


@pytest.mark.parametrize(
    ("link_", "reason"),
    [(Link.TRIMMED, CURSOR_EXPIRED), (Link.BROKEN, EPOCH_CHANGED)],
    ids=["trimmed", "broken"],
)
def test_reason_for(link_: Link, reason: str) -> None:
    assert reason_for(link_) == reason


def test_reason_strings_are_the_wire_values() -> None:
    assert (CURSOR_EXPIRED, EPOCH_CHANGED) == ("cursor_expired", "epoch_changed")
