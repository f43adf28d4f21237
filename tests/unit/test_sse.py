"""SSE framing: exact bytes, and the same bytes read back by an independent parser (httpx-sse)."""

from __future__ import annotations

import json

import msgspec
import pytest
from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder

from core import sse


def _parse(stream: bytes) -> list[ServerSentEvent]:
    """Feed ``stream`` to httpx-sse line by line; every line must be LF-terminated.

    httpx-sse 0.4 dispatches a phantom empty event for a block without data lines once an ``id``
    was seen (florimondmanca/httpx-sse#35); WHATWG says such a block dispatches nothing, so
    those are dropped here.
    """
    text = stream.decode()
    *lines, rest = text.split("\n")
    assert rest == "", "a frame must end with a line break"
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    has_data = False
    for line in lines:
        has_data = has_data or line == "data" or line.startswith("data:")
        event = decoder.decode(line)
        if event is not None and has_data:
            events.append(event)
        if not line:
            has_data = False
    return events


def _one(stream: bytes) -> ServerSentEvent:
    events = _parse(stream)
    assert len(events) == 1, events
    return events[0]


def test_plain_data_frame() -> None:
    framed = sse.frame(b'{"a":1}')

    assert framed == b'data: {"a":1}\n\n'
    event = _one(framed)
    assert (event.event, event.data, event.id, event.retry) == ("message", '{"a":1}', "", None)


def test_frame_with_id_and_event() -> None:
    framed = sse.frame(b'{"cpu":0.42}', event="metric", id="1795745196745-0.k3f9q2ab")

    assert framed == b'id: 1795745196745-0.k3f9q2ab\nevent: metric\ndata: {"cpu":0.42}\n\n'
    event = _one(framed)
    assert (event.event, event.data, event.id) == (
        "metric",
        '{"cpu":0.42}',
        "1795745196745-0.k3f9q2ab",
    )


def test_empty_data_still_dispatches() -> None:
    framed = sse.frame(b"", id="1-0.e")

    assert framed == b"id: 1-0.e\ndata: \n\n"
    assert (_one(framed).data, _one(framed).id) == ("", "1-0.e")


def test_non_ascii_data_is_kept_as_utf8() -> None:
    framed = sse.frame('"caf\u00e9 \u2028 \U0001f600"'.encode())

    assert framed == b'data: "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80"\n\n'
    assert _one(framed).data == '"caf\u00e9 \u2028 \U0001f600"'


@pytest.mark.parametrize(
    ("data", "expected_bytes", "expected_data"),
    [
        (b"a\nb", b"data: a\ndata: b\n\n", "a\nb"),
        (b"a\r\nb", b"data: a\ndata: b\n\n", "a\nb"),
        (b"a\rb", b"data: a\ndata: b\n\n", "a\nb"),
        (b"a\r\n\r\nb", b"data: a\ndata: \ndata: b\n\n", "a\n\nb"),
        (b"a\n\rb\r\nc", b"data: a\ndata: \ndata: b\ndata: c\n\n", "a\n\nb\nc"),
        (b"a\n", b"data: a\ndata: \n\n", "a\n"),
        (b"\ra", b"data: \ndata: a\n\n", "\na"),
        (b"\n\n", b"data: \ndata: \ndata: \n\n", "\n\n"),
        (b"a\n\nb", b"data: a\ndata: \ndata: b\n\n", "a\n\nb"),
    ],
    ids=[
        "lf",
        "crlf",
        "cr",
        "blank-crlf",
        "lf-cr-crlf-mix",
        "trailing-lf",
        "leading-cr",
        "only-lf",
        "blank-line",
    ],
)
def test_multi_line_data(data: bytes, expected_bytes: bytes, expected_data: str) -> None:
    framed = sse.frame(data, event="log", id="2-0.e")

    assert framed == b"id: 2-0.e\nevent: log\n" + expected_bytes
    assert b"\r" not in framed
    event = _one(framed)
    assert (event.event, event.data, event.id) == ("log", expected_data, "2-0.e")


@pytest.mark.parametrize(
    "data",
    [
        b"x\nevent: evil\nid: 666\nretry: 1",
        b"x\r\nevent: evil\r\nid: 666\r\nretry: 1",
        b"x\revent: evil\rid: 666\rretry: 1",
        b"x\n\nevent: evil\nid: 666\n\ndata: y",
        b"x\r\rdata: smuggled\r\r",
    ],
    ids=["lf", "crlf", "cr", "frame-break-lf", "frame-break-cr"],
)
def test_data_cannot_inject_fields_or_frames(data: bytes) -> None:
    framed = sse.frame(data, event="metric", id="3-0.e")

    event = _one(framed)
    assert event.event == "metric"
    assert event.id == "3-0.e"
    assert event.retry is None
    assert event.data == data.decode().replace("\r\n", "\n").replace("\r", "\n")


BAD_FIELD_VALUES = [
    ("a\nb", "lf"),
    ("a\rb", "cr"),
    ("a\r\nb", "crlf"),
    ("a\x00b", "nul"),
    ("a\n", "trailing-lf"),
    ("\r", "only-cr"),
]


@pytest.mark.parametrize(
    "value", [v for v, _ in BAD_FIELD_VALUES], ids=[i for _, i in BAD_FIELD_VALUES]
)
def test_id_with_line_break_or_nul_raises(value: str) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        sse.frame(b"1", id=value)


@pytest.mark.parametrize(
    "value", [v for v, _ in BAD_FIELD_VALUES], ids=[i for _, i in BAD_FIELD_VALUES]
)
def test_event_with_line_break_or_nul_raises(value: str) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        sse.frame(b"1", event=value)


def test_control_with_bad_id_raises() -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        sse.control("ready", {}, id="1-0\nevent: evil")


def test_retry_bytes_and_parse() -> None:
    assert sse.retry(500) == b"retry: 500\n"
    assert sse.retry(0) == b"retry: 0\n"

    event = _one(sse.retry(500) + sse.frame(b"1", id="1-0.e"))
    assert (event.retry, event.data, event.id) == (500, "1", "1-0.e")


def test_control_frame() -> None:
    payload = {"cursor": "5-0.ep", "mode": "streaming", "deadline_ms": 55000}

    framed = sse.control("ready", payload, id="5-0.ep")

    assert framed == (
        b"id: 5-0.ep\nevent: ready\n"
        b'data: {"cursor":"5-0.ep","mode":"streaming","deadline_ms":55000}\n\n'
    )
    event = _one(framed)
    assert (event.event, event.id) == ("ready", "5-0.ep")
    assert json.loads(event.data) == payload


def test_control_frame_encodes_structs() -> None:
    class Payload(msgspec.Struct):
        reason: str
        oldest: str
        head: str

    framed = sse.control("reset", Payload("cursor_expired", "4-0.e", "9-0.e"), id="9-0.e")

    assert framed == (
        b"id: 9-0.e\nevent: reset\n"
        b'data: {"reason":"cursor_expired","oldest":"4-0.e","head":"9-0.e"}\n\n'
    )


def test_control_payload_with_line_breaks_stays_one_data_line() -> None:
    framed = sse.control("burst-end", {"note": "a\nb\rc"}, id="1-0.e")

    assert framed == b'id: 1-0.e\nevent: burst-end\ndata: {"note":"a\\nb\\rc"}\n\n'
    assert json.loads(_one(framed).data) == {"note": "a\nb\rc"}


def test_ping_is_a_comment() -> None:
    assert sse.PING == b": ping\n\n"
    assert _parse(sse.PING) == []
    assert [e.data for e in _parse(sse.frame(b"1", id="1-0.e") + sse.PING)] == ["1"]


def test_a_whole_burst_parses_in_order() -> None:
    stream = (
        sse.retry(500)
        + sse.control("ready", {"cursor": "1-0.e"}, id="1-0.e")
        + sse.frame(b'{"cpu":0.42}', event="metric", id="2-0.e")
        + sse.PING
        + sse.frame(b"1", id="3-0.e")
        + sse.control("burst-end", {"reason": "deadline"}, id="3-0.e")
    )

    events = _parse(stream)

    assert [(e.event, e.id, e.data, e.retry) for e in events] == [
        ("ready", "1-0.e", '{"cursor":"1-0.e"}', 500),
        ("metric", "2-0.e", '{"cpu":0.42}', None),
        ("message", "3-0.e", "1", None),
        ("burst-end", "3-0.e", '{"reason":"deadline"}', None),
    ]
