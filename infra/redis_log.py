"""The event log on Redis Streams (real Redis, or the embedded emulation: the same code).

Appends run one Lua script (``lua/append.lua``): the whole batch, the predecessor links, the
epoch, retention and the idempotency record in one atomic round trip. Reads are plain
``XRANGE``/``XREVRANGE``; the pre-read snapshot is ``lua/state.lua``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from core.cursor import LAST, ZERO, StreamId
from core.errors import InvalidBody
from core.events import AppendResult, NewEvent, StoredEvent, StreamState
from infra.keys import Keys, Kind
from infra.scripts import script
from infra.store_errors import store_errors

IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000

Entries = list[tuple[bytes, dict[bytes, bytes]]]
"""Stream entries as redis-py returns them (RESP2, bytes)."""


@dataclass(frozen=True, slots=True)
class Retention:
    """How much a stream keeps: at most ``max_events``, none older than ``max_age_seconds``."""

    max_events: int
    max_age_seconds: int


class RedisEventLog:
    """``core.ports.EventLog`` on Redis Streams."""

    def __init__(self, redis: Redis, keys: Keys, retention: Retention) -> None:
        self._redis = redis
        self._keys = keys
        self._retention = retention
        self._append = script(redis, "append.lua")
        self._state = script(redis, "state.lua")

    async def append(
        self,
        tenant: str,
        stream: str,
        events: Sequence[NewEvent],
        *,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append a batch atomically, linking each entry to its predecessor."""
        digest = _digest(events)
        record = self._keys.of(Kind.IDEMPOTENCY, tenant, stream, _key_hash(idempotency_key))
        args: list[Any] = [
            secrets.token_hex(4),
            self._retention.max_events,
            self._retention.max_age_seconds * 1000,
            IDEMPOTENCY_TTL_MS if idempotency_key else 0,
            digest,
        ]
        for event in events:
            args += [event.type, event.data]
        with store_errors():
            reply = await self._append(keys=[*self._stream_keys(tenant, stream), record], args=args)
        if reply[0] == b"seen":
            return _replayed(reply[1].decode(), digest)
        epoch = reply[1].decode()
        ids = [f"{raw.decode()}.{epoch}" for raw in reply[2:]]
        return AppendResult(ids=ids, head=ids[-1])

    async def replayed(
        self, tenant: str, stream: str, events: Sequence[NewEvent], idempotency_key: str
    ) -> AppendResult | None:
        """The first answer to a publish with this key, if there was one (nothing appended)."""
        record_key = self._keys.of(Kind.IDEMPOTENCY, tenant, stream, _key_hash(idempotency_key))
        with store_errors():
            record = cast(bytes | None, await self._redis.get(record_key))
        return None if record is None else _replayed(record.decode(), _digest(events))

    async def state(self, tenant: str, stream: str) -> StreamState:
        """The stream's epoch, head and oldest retained entry, read in one snapshot."""
        with store_errors():
            reply = await self._state(keys=self._stream_keys(tenant, stream))
        if not reply:
            return StreamState(epoch=None, head=ZERO, oldest=None, oldest_prev=None)
        epoch, head, oldest, oldest_prev = reply
        return StreamState(
            epoch=epoch.decode() if epoch else None,
            head=StreamId.parse(head.decode()),
            oldest=StreamId.parse(oldest.decode()) if oldest else None,
            oldest_prev=StreamId.parse(oldest_prev.decode()) if oldest_prev else None,
        )

    async def read_after(
        self, tenant: str, stream: str, after: StreamId, count: int
    ) -> list[StoredEvent]:
        """Up to ``count`` events with IDs above ``after``, oldest first."""
        key = self._keys.of(Kind.STREAM, tenant, stream)
        if after == LAST:
            return []
        with store_errors():
            entries = cast(Entries, await self._redis.xrange(key, f"({after}", "+", count=count))
        return [parse_entry(entry_id, fields) for entry_id, fields in entries]

    async def read_before(
        self, tenant: str, stream: str, before: StreamId | None, count: int
    ) -> list[StoredEvent]:
        """Up to ``count`` events below ``before`` (or the newest), oldest first."""
        key = self._keys.of(Kind.STREAM, tenant, stream)
        high = "+" if before is None else f"({before}"
        if before == ZERO:
            return []
        with store_errors():
            entries = cast(Entries, await self._redis.xrevrange(key, high, "-", count=count))
        return [parse_entry(entry_id, fields) for entry_id, fields in reversed(entries)]

    async def ping(self) -> None:
        """Return when the store answers; raise ``StoreUnavailable`` when it does not."""
        with store_errors():
            await self._redis.ping()

    def _stream_keys(self, tenant: str, stream: str) -> list[str]:
        return [
            self._keys.of(Kind.STREAM, tenant, stream),
            self._keys.of(Kind.META, tenant, stream),
        ]


def parse_entry(entry_id: bytes, fields: dict[bytes, bytes]) -> StoredEvent:
    """Build a ``StoredEvent`` from an entry as ``XRANGE``/``XREAD`` return it."""
    return StoredEvent(
        id=StreamId.parse(entry_id.decode()),
        prev=StreamId.parse(fields[b"p"].decode()),
        epoch=fields[b"e"].decode(),
        type=fields[b"t"].decode(),
        data=fields[b"d"],
    )


def _digest(events: Sequence[NewEvent]) -> str:
    hasher = hashlib.sha256()
    for event in events:
        hasher.update(b"%d:%s:%d:" % (len(event.type), event.type.encode(), len(event.data)))
        hasher.update(event.data)
    return hasher.hexdigest()[:32]


def _key_hash(idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return "-"
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _replayed(record: str, digest: str) -> AppendResult:
    stored_digest, epoch, ids = record.split(" ")
    if stored_digest != digest:
        raise InvalidBody(
            "Idempotency-Key was already used with a different body",
            code="idempotency_key_reused",
        )
    cursors = [f"{entry_id}.{epoch}" for entry_id in ids.split(",")]
    return AppendResult(ids=cursors, head=cursors[-1])
