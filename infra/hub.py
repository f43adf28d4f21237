"""The live hub: one reader per process fans new events out to every local burst.

Thousands of bursts must not each hold a Redis connection. One task issues a single
``XREAD BLOCK`` over every stream that has listeners and hands each entry, parsed and framed
once, to bounded per-burst queues. A queue that overflows marks its listener ``overflowed``
(the burst ends with ``slow``) instead of growing memory.

Timing rules:
- The reader starts with the first listener and stops with the last, so under Lambda it lives
  only inside an invocation.
- A stream's first listener must be read at once, not after the current block times out: the
  hub includes a private wake-up stream in every ``XREAD`` and appends to it to cut a block
  short. That is race-free (an append made before the block starts ends it at once) and works
  on the embedded store, where ``CLIENT UNBLOCK`` does not. The wake-up key expires by itself
  ten minutes after its last use.
- Registration never reads: a listener gets every event after the hub's position for its
  stream; the burst's own catch-up read covers the rest, and duplicates are skipped by ID.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.cursor import StreamId
from core.errors import StoreUnavailable
from core.events import StoredEvent
from infra.keys import Keys, Kind
from infra.redis_log import Entries, parse_entry
from infra.store_errors import store_errors

log = logging.getLogger(__name__)

_WAKE_TTL_MS = 600_000
_MAX_BACKOFF = 2.0


class HubListener:
    """One burst's bounded queue of new events (``core.ports.Listener``)."""

    __slots__ = ("_closed", "_limit", "_overflowed", "_queue", "_ready")

    def __init__(self, limit: int) -> None:
        self._queue: deque[StoredEvent] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self._overflowed = False
        self._closed = False

    @property
    def overflowed(self) -> bool:
        return self._overflowed

    @property
    def closed(self) -> bool:
        """True once the hub shut down: the burst should end with ``shutdown``."""
        return self._closed

    def offer(self, event: StoredEvent) -> None:
        """Queue ``event``, or mark the listener overflowed; never blocks the reader."""
        if self._overflowed:
            return
        if len(self._queue) >= self._limit:
            self._overflowed = True
            self._queue.clear()
        else:
            self._queue.append(event)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def next_batch(self, timeout: float) -> list[StoredEvent]:
        """Every queued event, waiting up to ``timeout`` seconds for the first."""
        if not self._queue and not self._overflowed and not self._closed:
            self._ready.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._ready.wait()
            except TimeoutError:
                return []
        batch = list(self._queue)
        self._queue.clear()
        return batch


@dataclass(slots=True)
class _Tracked:
    position: StreamId
    listeners: set[HubListener] = field(default_factory=set)


class LiveHub:
    """``core.ports.LiveFeed`` on one shared ``XREAD BLOCK`` per process."""

    def __init__(
        self,
        reader: Redis,
        commands: Redis,
        keys: Keys,
        *,
        queue_size: int,
        block_ms: int = 10_000,
        count: int = 512,
    ) -> None:
        self._reader = reader
        self._commands = commands
        self._keys = keys
        self._queue_size = queue_size
        self._block_ms = block_ms
        self._count = count
        self._wake_key = keys.process(f"hub:{uuid.uuid4().hex}")
        self._wake_position = "0-0"
        self._streams: dict[str, _Tracked] = {}
        self._task: asyncio.Task[None] | None = None
        self._wakers: set[asyncio.Task[None]] = set()
        self._reading: frozenset[str] = frozenset()
        self._closed = False

    @property
    def listeners(self) -> int:
        return sum(len(tracked.listeners) for tracked in self._streams.values())

    @property
    def streams(self) -> int:
        return len(self._streams)

    @property
    def running(self) -> bool:
        return self._task is not None

    @asynccontextmanager
    async def listen(self, tenant: str, stream: str, after: StreamId) -> AsyncIterator[HubListener]:
        """Register a listener for events after ``after``; leaving the block frees it."""
        key = self._keys.of(Kind.STREAM, tenant, stream)
        listener = HubListener(self._queue_size)
        if self._closed:
            listener.close()
            yield listener
            return
        tracked = self._streams.setdefault(key, _Tracked(after))
        tracked.listeners.add(listener)
        try:
            await self._ensure_reading(key)
            yield listener
        finally:
            self._remove(key, listener)

    async def close(self) -> None:
        """End every listener (their bursts end with ``shutdown``) and stop the reader.

        The reader is cancelled until it is done: a cancel that lands while redis-py sends a
        command can be swallowed (CPython 3.11's ``wait_for``), and the reader would go on.
        """
        self._closed = True
        for tracked in self._streams.values():
            for listener in tracked.listeners:
                listener.close()
        for task in [*self._wakers, self._task]:
            while task is not None and not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.1)

    def _remove(self, key: str, listener: HubListener) -> None:
        tracked = self._streams.get(key)
        if tracked is None:
            return
        tracked.listeners.discard(listener)
        if not tracked.listeners:
            del self._streams[key]
        if not self._streams and self._task is not None:
            self._wake_soon()

    async def _ensure_reading(self, key: str) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="burstream-hub-reader")
        elif key not in self._reading:
            await self._wake()

    def _wake_soon(self) -> None:
        task = asyncio.create_task(self._wake())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    async def _wake(self) -> None:
        try:
            with store_errors():
                async with self._commands.pipeline(transaction=False) as pipe:
                    pipe.xadd(self._wake_key, {"w": "1"}, maxlen=1, approximate=False)
                    pipe.pexpire(self._wake_key, _WAKE_TTL_MS)
                    await pipe.execute()
        except (StoreUnavailable, RedisError) as exc:
            log.warning("hub wake-up failed (%s); the reader catches up after its block", exc)

    async def _run(self) -> None:
        backoff = 0.05
        try:
            while self._streams and not self._closed:
                try:
                    await self._read_once()
                    backoff = 0.05
                except (StoreUnavailable, RedisError) as exc:
                    log.warning("hub read failed: %s; retrying in %.2fs", exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF)
        finally:
            self._task = None
            self._reading = frozenset()

    async def _read_once(self) -> None:
        positions: dict[Any, Any] = {
            key: str(tracked.position) for key, tracked in self._streams.items()
        }
        self._reading = frozenset(positions)
        positions[self._wake_key] = self._wake_position
        with store_errors():
            reply = await self._reader.xread(positions, count=self._count, block=self._block_ms)
        for raw_key, entries in cast(list[tuple[bytes, Entries]], reply or []):
            self._fan_out(raw_key.decode(), entries)

    def _fan_out(self, key: str, entries: Entries) -> None:
        if key == self._wake_key:
            self._wake_position = entries[-1][0].decode()
            return
        tracked = self._streams.get(key)
        if tracked is None:
            return
        for entry_id, fields in entries:
            event = parse_entry(entry_id, fields)
            tracked.position = event.id
            for listener in tracked.listeners:
                listener.offer(event)
