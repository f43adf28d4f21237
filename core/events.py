"""Events as they come in (a publish batch) and as they are stored and delivered.

A publish body is decoded once, at the edge, into frozen structs; a validation error names the
field (``at $.events[3].type``). ``data`` is kept as compact JSON bytes from then on and is never
parsed again: history embeds it raw, SSE frames it as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import msgspec

from core import sse
from core.cursor import Cursor, StreamId
from core.errors import InvalidBody, PayloadTooLarge

MAX_BATCH = 500
MAX_DATA_BYTES = 64 * 1024
DEFAULT_TYPE = "message"
RESERVED_TYPES = frozenset({"ready", "burst-end", "reset"})
TYPE_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"

T = TypeVar("T")

EventType = Annotated[str, msgspec.Meta(pattern=TYPE_PATTERN)]
_TYPE = re.compile(TYPE_PATTERN[1:-1])
"""The pattern without anchors, for ``fullmatch``: msgspec's ``$`` admits a trailing newline."""


class EventIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One event of a publish batch."""

    data: msgspec.Raw
    type: EventType = DEFAULT_TYPE


class PublishBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``POST .../events``."""

    events: Annotated[list[EventIn], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class NewEvent(msgspec.Struct, frozen=True):
    """A validated event ready to append: its type and compact JSON data."""

    type: str
    data: bytes


_publish_decoder = msgspec.json.Decoder(PublishBody)


def decode_publish(body: bytes) -> list[NewEvent]:
    """Decode and check a publish body; raise ``InvalidBody`` or ``PayloadTooLarge``.

    The body must be UTF-8 as a whole: msgspec does not check the bytes inside a ``Raw``
    value, and stored data is served to every subscriber as it is.
    """
    try:
        body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidBody(f"body is not UTF-8: {exc}", code="invalid_json") from None
    batch = decode_body(_publish_decoder, body)
    return [_checked(event, index) for index, event in enumerate(batch.events)]


def decode_body(decoder: msgspec.json.Decoder[T], body: bytes) -> T:
    """Decode a JSON request body; every way it can be wrong is ``InvalidBody``.

    Nesting deeper than msgspec's recursion limit raises ``RecursionError``: a client's
    2 KB of brackets must be a ``422``, not a ``500``.
    """
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidBody(str(exc)) from None
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidBody(f"body is not valid JSON: {exc}", code="invalid_json") from None


def _checked(event: EventIn, index: int) -> NewEvent:
    if not _TYPE.fullmatch(event.type):
        raise InvalidBody(
            f"event type {event.type!r} does not match {TYPE_PATTERN} - at `$.events[{index}].type`"
        )
    if event.type in RESERVED_TYPES:
        raise InvalidBody(
            f"event type {event.type!r} is reserved for the protocol - at `$.events[{index}].type`",
            code="reserved_type",
        )
    data = msgspec.json.format(event.data.copy(), indent=-1)
    if len(data) > MAX_DATA_BYTES:
        raise PayloadTooLarge(
            f"event data is {len(data)} bytes, over the {MAX_DATA_BYTES} byte limit"
            f" - at `$.events[{index}].data`",
            code="event_too_large",
        )
    return NewEvent(type=event.type, data=data)


@dataclass(slots=True, eq=False)
class StoredEvent:
    """An event read back from the log, with the ID of its predecessor for gap detection.

    ``frame`` is the event's SSE frame, encoded at most once: the live hub shares one
    ``StoredEvent`` with every listener, so every client gets the same bytes.
    """

    id: StreamId
    prev: StreamId
    epoch: str
    type: str
    data: bytes
    _frame: bytes | None = field(default=None, repr=False)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.id, self.epoch)

    def frame(self) -> bytes:
        """The SSE frame for this event, computed on first use and then shared."""
        if self._frame is None:
            kind = None if self.type == DEFAULT_TYPE else self.type
            self._frame = sse.frame(self.data, event=kind, id=str(self.cursor))
        return self._frame

    def time(self) -> str:
        """The RFC 3339 UTC time the store gave the event (the ID's millisecond part)."""
        moment = datetime.fromtimestamp(self.id.ms / 1000, tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StreamState(msgspec.Struct, frozen=True):
    """What a request needs to know about a stream before reading it.

    ``epoch`` is None for a stream that never had an event (or lost all of its data);
    ``oldest``/``oldest_prev`` describe the oldest retained entry, None when none is retained.
    """

    epoch: str | None
    head: StreamId
    oldest: StreamId | None
    oldest_prev: StreamId | None

    def cursor(self, at: StreamId) -> Cursor:
        return Cursor(at, self.epoch)

    @property
    def head_cursor(self) -> Cursor:
        return Cursor(self.head, self.epoch)

    @property
    def oldest_cursor(self) -> Cursor:
        """The cursor just before the oldest retained event (``earliest``)."""
        before = self.oldest_prev if self.oldest_prev is not None else self.head
        return Cursor(before, self.epoch)


class AppendResult(msgspec.Struct, frozen=True):
    """The answer to a publish: one cursor per event and the stream's new head."""

    ids: list[str]
    head: str
