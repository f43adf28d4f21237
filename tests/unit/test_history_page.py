"""History pages: events in order with raw data, and the head/next/prev cursors."""

from __future__ import annotations

import msgspec
import pytest

from core.cursor import Cursor, StreamId
from core.events import StoredEvent, StreamState
from core.history import (
    DEFAULT_LIMIT,
    EVENT_OVERHEAD_BYTES,
    MAX_LIMIT,
    MAX_WAIT_SECONDS,
    HistoryPage,
    fit_newest_first,
    fit_oldest_first,
    has_older,
    page,
)

STATE = StreamState(
    epoch="ep", head=StreamId(9, 0), oldest=StreamId(5, 0), oldest_prev=StreamId(4, 0)
)


def _event(ms: int, type_: str = "message", data: bytes = b"1") -> StoredEvent:
    return StoredEvent(StreamId(ms, 0), StreamId(ms - 1, 0), "ep", type_, data)


def test_limits_are_the_documented_ones() -> None:
    assert (DEFAULT_LIMIT, MAX_LIMIT, MAX_WAIT_SECONDS) == (100, 1000, 25)


def test_page_encodes_events_with_raw_data() -> None:
    events = [
        _event(1700000000000, "metric", b'{"cpu":0.42,"tags":["a","b"]}'),
        _event(1700000000001, "message", b'"caf\xc3\xa9"'),
    ]
    state = StreamState(
        epoch="ep",
        head=StreamId(1700000000009, 0),
        oldest=StreamId(1600000000000, 0),
        oldest_prev=StreamId(0, 0),
    )

    result = page(events, state, empty_next=None, older=True)

    assert msgspec.json.encode(result) == (
        b'{"events":['
        b'{"id":"1700000000000-0.ep","type":"metric","data":{"cpu":0.42,"tags":["a","b"]},'
        b'"time":"2023-11-14T22:13:20.000Z"},'
        b'{"id":"1700000000001-0.ep","type":"message","data":"caf\xc3\xa9",'
        b'"time":"2023-11-14T22:13:20.001Z"}],'
        b'"head":"1700000000009-0.ep","next":"1700000000001-0.ep","prev":"1700000000000-0.ep"}'
    )


@pytest.mark.parametrize(
    ("empty_next", "older", "expected"),
    [
        (None, False, HistoryPage([], "9-0.ep", None, None)),
        (None, True, HistoryPage([], "9-0.ep", None, None)),
        (Cursor(StreamId(9, 0), "ep"), False, HistoryPage([], "9-0.ep", "9-0.ep", None)),
        (Cursor(StreamId(7, 0), "ep"), False, HistoryPage([], "9-0.ep", "7-0.ep", None)),
    ],
    ids=["before-nothing", "older-ignored", "newest-or-after-head", "after-continues-from-it"],
)
def test_empty_page_cursors(empty_next: Cursor | None, older: bool, expected: HistoryPage) -> None:
    assert page([], STATE, empty_next=empty_next, older=older) == expected


@pytest.mark.parametrize(
    ("empty_next", "older", "prev"),
    [
        (None, True, "6-0.ep"),
        (None, False, None),
        (Cursor(StreamId(5, 0), "ep"), True, "6-0.ep"),
        (Cursor(StreamId(5, 0), "ep"), False, None),
    ],
    ids=["newest-older", "newest-at-oldest", "after-older", "after-at-oldest"],
)
def test_page_cursors(empty_next: Cursor | None, older: bool, prev: str | None) -> None:
    result = page([_event(6), _event(7)], STATE, empty_next=empty_next, older=older)

    assert [e.id for e in result.events] == ["6-0.ep", "7-0.ep"]
    assert (result.head, result.next, result.prev) == ("9-0.ep", "7-0.ep", prev)


def test_page_of_untouched_stream() -> None:
    state = StreamState(epoch=None, head=StreamId(0, 0), oldest=None, oldest_prev=None)

    result = page([], state, empty_next=state.head_cursor, older=False)

    assert msgspec.json.encode(result) == b'{"events":[],"head":"0-0","next":"0-0","prev":null}'


@pytest.mark.parametrize(
    ("first", "state", "expected"),
    [
        (6, STATE, True),
        (5, STATE, False),
        (6, StreamState(epoch="ep", head=StreamId(9, 0), oldest=None, oldest_prev=None), False),
    ],
    ids=["after-oldest", "at-oldest", "nothing-retained"],
)
def test_has_older(first: int, state: StreamState, expected: bool) -> None:
    assert has_older([_event(first), _event(first + 1)], state) is expected


def test_has_older_without_events() -> None:
    assert has_older([], STATE) is False


def test_has_older_compares_ids_numerically() -> None:
    state = StreamState(
        epoch="ep", head=StreamId(9, 0), oldest=StreamId(5, 9), oldest_prev=StreamId(5, 8)
    )
    event = StoredEvent(StreamId(5, 10), StreamId(5, 9), "ep", "message", b"1")

    assert has_older([event], state) is True


def _sized(ms: int, size: int) -> StoredEvent:
    return StoredEvent(StreamId(ms, 0), StreamId(ms - 1, 0), "ep", "message", b"x" * size)


@pytest.mark.parametrize(
    ("sizes", "max_bytes", "oldest_first", "newest_first"),
    [
        ([10, 10, 10], 10_000, [1, 2, 3], [1, 2, 3]),
        ([100, 100, 100], 2 * (100 + EVENT_OVERHEAD_BYTES), [1, 2], [2, 3]),
        ([5000, 10], 100, [1], [2]),
        ([5000], 100, [1], [1]),
        ([], 100, [], []),
    ],
    ids=["all-fit", "cut-at-the-cap", "first-alone-over", "one-over-still-served", "none"],
)
def test_pages_fit_in_bytes(
    sizes: list[int], max_bytes: int, oldest_first: list[int], newest_first: list[int]
) -> None:
    events = [_sized(n + 1, size) for n, size in enumerate(sizes)]
    assert [e.id.ms for e in fit_oldest_first(events, max_bytes)] == oldest_first
    assert [e.id.ms for e in fit_newest_first(events, max_bytes)] == newest_first
