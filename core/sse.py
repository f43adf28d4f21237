"""Server-sent events framing (WHATWG HTML, "Server-sent events").

Frames are bytes, built once. ``data`` may hold any line breaks (CR, LF, CRLF): each line gets
its own ``data:`` field, so a payload can never end a frame early or inject a field. ``id`` and
``event`` values are checked, never repaired: a line break or NUL there is a bug upstream.
"""

from __future__ import annotations

import re

import msgspec

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_BAD_FIELD = re.compile(r"[\r\n\x00]")

PING = b": ping\n\n"
"""A comment frame: keeps proxies from closing an idle stream; clients ignore it."""


def frame(data: bytes, *, event: str | None = None, id: str | None = None) -> bytes:
    """One event frame: optional ``id``/``event`` fields, then the data lines."""
    parts: list[bytes] = []
    if id is not None:
        parts.append(b"id: " + _field(id) + b"\n")
    if event is not None:
        parts.append(b"event: " + _field(event) + b"\n")
    for line in _LINE_BREAK.split(data):
        parts.append(b"data: " + line + b"\n")
    parts.append(b"\n")
    return b"".join(parts)


def retry(ms: int) -> bytes:
    """The reconnection delay a client's ``EventSource`` should use."""
    return b"retry: %d\n" % ms


def control(event: str, payload: object, *, id: str) -> bytes:
    """A protocol frame (``ready``, ``reset``, ``burst-end``) with a JSON payload."""
    return frame(msgspec.json.encode(payload), event=event, id=id)


def _field(value: str) -> bytes:
    if _BAD_FIELD.search(value):
        raise ValueError(f"SSE field value may not contain CR, LF or NUL: {value!r}")
    return value.encode()
