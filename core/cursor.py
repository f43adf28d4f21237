"""Cursors: a Redis Streams ID plus the stream's epoch, written ``<ms>-<seq>.<epoch>``.

Clients treat cursors as opaque. The epoch changes when a stream's data is lost, so a cursor
from an earlier incarnation is detected instead of silently resuming in the wrong place. A bare
``<ms>-<seq>`` is accepted on input and skips the epoch check; ``earliest`` and ``latest`` are
resolved against the stream's state when a request starts.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from core.errors import InvalidInput

_MAX_PART = 2**64 - 1
_CURSOR = re.compile(r"([0-9]{1,20})-([0-9]{1,20})(?:\.([a-z0-9]{1,32}))?")
_EPOCH = re.compile(r"[a-z0-9]{1,32}")


class StreamId(NamedTuple):
    """A Redis Streams entry ID; tuples order exactly as Redis orders IDs."""

    ms: int
    seq: int

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"

    @classmethod
    def parse(cls, text: str) -> StreamId:
        """Parse the ``<ms>-<seq>`` form Redis returns (trusted input)."""
        ms, _, seq = text.partition("-")
        return cls(int(ms), int(seq))


ZERO = StreamId(0, 0)
"""The ID before any entry: the head of a stream that never had an event."""

LAST = StreamId(_MAX_PART, _MAX_PART)
"""The greatest ID Redis can hold: nothing can follow it."""


class Cursor(NamedTuple):
    """A position in one incarnation of a stream; ``epoch`` None means "not checked"."""

    id: StreamId
    epoch: str | None

    def __str__(self) -> str:
        return str(self.id) if self.epoch is None else f"{self.id}.{self.epoch}"


Symbolic = Literal["earliest", "latest"]
StartAt = Cursor | Symbolic


def parse_cursor(text: str, *, field: str = "cursor") -> Cursor:
    """Parse a concrete cursor from client input; anything malformed is ``InvalidInput``."""
    match = _CURSOR.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"{field}: {text[:80]!r} is not a cursor (<ms>-<seq>[.<epoch>])",
            code="invalid_cursor",
        )
    ms, seq, epoch = int(match[1]), int(match[2]), match[3]
    if ms > _MAX_PART or seq > _MAX_PART:
        raise InvalidInput(f"{field}: {text[:80]!r} is out of range", code="invalid_cursor")
    return Cursor(StreamId(ms, seq), epoch)


def parse_start(text: str, *, field: str = "cursor") -> StartAt:
    """Parse a start position: ``earliest``, ``latest`` or a concrete cursor."""
    if text == "earliest":
        return "earliest"
    if text == "latest":
        return "latest"
    return parse_cursor(text, field=field)


def valid_epoch(text: str) -> bool:
    """Whether ``text`` can stand as an epoch in a cursor."""
    return _EPOCH.fullmatch(text) is not None
