"""Publish bodies decoded at the edge, and stored events as SSE frames and RFC 3339 times."""

from __future__ import annotations

import json

import pytest

from core.cursor import StreamId
from core.errors import InvalidBody, PayloadTooLarge
from core.events import (
    DEFAULT_TYPE,
    MAX_BATCH,
    MAX_DATA_BYTES,
    NewEvent,
    StoredEvent,
    StreamState,
    decode_publish,
)


def _body(*events: object) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def test_limits_are_the_documented_ones() -> None:
    assert (MAX_BATCH, MAX_DATA_BYTES, DEFAULT_TYPE) == (500, 65536, "message")


def test_valid_batch() -> None:
    body = (
        b'{"events": [\n'
        b'  {"type": "metric", "data": {"a": [1, 2]}},\n'
        b'  {"data": "text"},\n'
        b'  {"data": null, "type": "job.done:v1_x-y"},\n'
        b'  {"data": [ 1.5e3 , true , {"k" : "v w"} ]}\n'
        b"]}"
    )

    assert decode_publish(body) == [
        NewEvent(type="metric", data=b'{"a":[1,2]}'),
        NewEvent(type="message", data=b'"text"'),
        NewEvent(type="job.done:v1_x-y", data=b"null"),
        NewEvent(type="message", data=b'[1.5e3,true,{"k":"v w"}]'),
    ]


def test_data_bytes_are_independent_of_the_body_buffer() -> None:
    body = bytearray(b'{"events":[{"data":{"a":1}}]}')

    [event] = decode_publish(bytes(body))

    assert isinstance(event.data, bytes)
    assert event.data == b'{"a":1}'


def test_non_ascii_data_is_kept_as_sent() -> None:
    body = '{"events":[{"data":"caf\u00e9 \\u00e9"}]}'.encode()

    assert decode_publish(body) == [NewEvent(type="message", data='"caf\u00e9 \\u00e9"'.encode())]


@pytest.mark.parametrize("count", [1, MAX_BATCH], ids=["one", "max"])
def test_batch_size_accepted(count: int) -> None:
    events = decode_publish(_body(*[{"data": i} for i in range(count)]))

    assert len(events) == count
    assert events[-1] == NewEvent(type="message", data=str(count - 1).encode())


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (0, "Expected `array` of length >= 1 - at `$.events`"),
        (MAX_BATCH + 1, "Expected `array` of length <= 500 - at `$.events`"),
    ],
    ids=["empty", "501"],
)
def test_batch_size_rejected(count: int, message: str) -> None:
    with pytest.raises(InvalidBody) as caught:
        decode_publish(_body(*[{"data": i} for i in range(count)]))

    assert caught.value.code == "invalid_body"
    assert caught.value.detail == message


@pytest.mark.parametrize(
    "kind", ["ready", "burst-end", "reset"], ids=["ready", "burst-end", "reset"]
)
def test_reserved_types_rejected(kind: str) -> None:
    body = _body({"data": 1}, {"data": 2}, {"type": kind, "data": 3})

    with pytest.raises(InvalidBody) as caught:
        decode_publish(body)

    assert caught.value.code == "reserved_type"
    assert caught.value.detail.endswith("at `$.events[2].type`")
    assert repr(kind) in caught.value.detail


@pytest.mark.parametrize(
    "kind",
    ["Ready", "RESET", "message", "burst_end", "a" * 64, "A-Za-z0-9_.:"],
    ids=["capital-ready", "upper-reset", "explicit-message", "burst_end", "64-chars", "charset"],
)
def test_allowed_types(kind: str) -> None:
    assert decode_publish(_body({"type": kind, "data": 1})) == [NewEvent(type=kind, data=b"1")]


BAD_TYPES = [
    ("", "empty"),
    ("a" * 65, "65-chars"),
    ("a b", "space"),
    ("a/b", "slash"),
    ("a\nb", "inner-lf"),
    ("metric\n", "trailing-lf"),
    ("metric\r", "trailing-cr"),
    ("\nmetric", "leading-lf"),
    ("m\u00e9trique", "non-ascii"),
    ("a\x00", "nul"),
]


@pytest.mark.parametrize("kind", [k for k, _ in BAD_TYPES], ids=[i for _, i in BAD_TYPES])
def test_bad_type_pattern_rejected(kind: str) -> None:
    body = _body({"data": 1}, {"data": 2}, {"data": 3}, {"type": kind, "data": 4})

    with pytest.raises(InvalidBody) as caught:
        decode_publish(body)

    assert caught.value.code == "invalid_body"
    assert caught.value.detail.endswith("- at `$.events[3].type`")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"events":[{"data":1},{"data":1,"extra":2}]}',
            "Object contains unknown field `extra` - at `$.events[1]`",
        ),
        (b'{"events":[{"data":1}],"x":1}', "Object contains unknown field `x`"),
        (
            b'{"events":[{"type":"metric"}]}',
            "Object missing required field `data` - at `$.events[0]`",
        ),
        (b"{}", "Object missing required field `events`"),
        (b"[]", "Expected `object`, got `array`"),
        (b'{"events":{}}', "Expected `array`, got `object` - at `$.events`"),
        (b'{"events":[1]}', "Expected `object`, got `int` - at `$.events[0]`"),
        (b'{"events":[{"type":5,"data":1}]}', "Expected `str`, got `int` - at `$.events[0].type`"),
        (
            b'{"events":[{"type":null,"data":1}]}',
            "Expected `str`, got `null` - at `$.events[0].type`",
        ),
    ],
    ids=[
        "unknown-event-field",
        "unknown-body-field",
        "missing-data",
        "missing-events",
        "not-an-object",
        "events-not-array",
        "event-not-object",
        "type-not-string",
        "type-null",
    ],
)
def test_schema_errors_name_the_field(body: bytes, message: str) -> None:
    with pytest.raises(InvalidBody) as caught:
        decode_publish(body)

    assert caught.value.code == "invalid_body"
    assert caught.value.detail == message


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"events":[{"data":1}]} trailing',
        b'{"events":[{"data":[1,]}]}',
        b'{"events":[{"data":01}]}',
        b'{"events":[{"data":NaN}]}',
        b'{"events":[{"data":"a\nb"}]}',
        b'{"events":[{"data":\'x\'}]}',
        b'{"events":[{"data":"\\x"}]}',
        b'{"events":[{"data":"\xff"}]}',
        b'{"events":[{"data":{"k":"\xc3"}}]}',
    ],
    ids=[
        "empty",
        "truncated",
        "trailing-garbage",
        "trailing-comma",
        "leading-zero",
        "nan",
        "raw-newline-in-string",
        "single-quotes",
        "bad-escape",
        "invalid-utf8-in-data",
        "truncated-utf8-in-data",
    ],
)
def test_malformed_json_rejected(body: bytes) -> None:
    with pytest.raises(InvalidBody) as caught:
        decode_publish(body)

    assert caught.value.code == "invalid_json"


def _string_data(encoded_size: int) -> bytes:
    """A JSON string whose compact encoding is exactly ``encoded_size`` bytes."""
    return b'"' + b"x" * (encoded_size - 2) + b'"'


def test_data_exactly_at_the_limit_is_accepted() -> None:
    data = _string_data(MAX_DATA_BYTES)

    [event] = decode_publish(b'{"events":[{"data":' + data + b"}]}")

    assert event.data == data
    assert len(event.data) == 65536


def test_data_over_the_limit_is_too_large() -> None:
    body = b'{"events":[{"data":1},{"data":' + _string_data(MAX_DATA_BYTES + 1) + b"}]}"

    with pytest.raises(PayloadTooLarge) as caught:
        decode_publish(body)

    assert caught.value.code == "event_too_large"
    assert caught.value.detail.endswith("at `$.events[1].data`")
    assert "65537" in caught.value.detail


def test_data_limit_counts_the_compact_encoding() -> None:
    padded = b"[" + b"1,   " * 20_000 + b"1]"
    assert len(padded) > MAX_DATA_BYTES

    [event] = decode_publish(b'{"events":[{"data":' + padded + b"}]}")

    assert event.data == b"[" + b"1," * 20_000 + b"1]"


def _stored(type_: str, data: bytes = b'{"cpu":0.42}', ms: int = 1795745196745) -> StoredEvent:
    return StoredEvent(StreamId(ms, 0), StreamId(ms - 1, 0), "k3f9q2ab", type_, data)


def test_stored_event_frame_for_message_has_no_event_line() -> None:
    assert _stored("message").frame() == (b'id: 1795745196745-0.k3f9q2ab\ndata: {"cpu":0.42}\n\n')


def test_stored_event_frame_names_its_type() -> None:
    assert _stored("metric").frame() == (
        b'id: 1795745196745-0.k3f9q2ab\nevent: metric\ndata: {"cpu":0.42}\n\n'
    )


def test_stored_event_frame_is_encoded_once() -> None:
    event = _stored("metric")

    assert event.frame() is event.frame()


def test_stored_event_cursor() -> None:
    event = StoredEvent(StreamId(12, 3), StreamId(12, 2), "ep", "message", b"1")

    assert str(event.cursor) == "12-3.ep"


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (999, "1970-01-01T00:00:00.999Z"),
        (1795745196745, "2026-11-27T02:06:36.745Z"),
        (1700000000000, "2023-11-14T22:13:20.000Z"),
        (1709251199999, "2024-02-29T23:59:59.999Z"),
    ],
    ids=["epoch", "one-ms", "999-ms", "example", "round-second", "leap-day"],
)
def test_stored_event_time_is_rfc3339_utc_millis(ms: int, expected: str) -> None:
    assert _stored("message", ms=ms).time() == expected


def test_stream_state_cursors() -> None:
    state = StreamState(
        epoch="ep", head=StreamId(9, 0), oldest=StreamId(5, 0), oldest_prev=StreamId(4, 0)
    )

    assert str(state.head_cursor) == "9-0.ep"
    assert str(state.oldest_cursor) == "4-0.ep"
    assert str(state.cursor(StreamId(6, 1))) == "6-1.ep"
