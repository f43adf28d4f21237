"""The event-log contract (``core.ports.EventLog``): real Redis and the embedded store alike."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot

from core.cursor import LAST, ZERO, Cursor, StreamId
from core.errors import InvalidBody, InvalidInput, StoreUnavailable
from core.events import AppendResult, NewEvent
from core.resume import CURSOR_EXPIRED, EPOCH_CHANGED, gap_reason, resolve
from infra.keys import Keys, Kind
from infra.redis_log import IDEMPOTENCY_TTL_MS, RedisEventLog, Retention
from tests.contract.conftest import Backend, build_backend, events, settings_for

pytestmark = pytest.mark.anyio

T, S = "acme", "orders"


def _cursor(text: str) -> Cursor:
    raw, _, epoch = text.partition(".")
    return Cursor(StreamId.parse(raw), epoch)


def _ids(result: AppendResult) -> list[StreamId]:
    return [_cursor(text).id for text in result.ids]


def _count_commands(client: Redis, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Record every command ``client`` sends from now on (one entry per round trip)."""
    sent: list[tuple[Any, ...]] = []
    original: Callable[..., Awaitable[Any]] = client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(args)
        return await original(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    return sent


# --- append and read -----------------------------------------------------------------------


async def test_append_returns_one_increasing_cursor_per_event_in_one_epoch(
    backend: Backend,
) -> None:
    first = await backend.log.append(T, S, events(3))
    second = await backend.log.append(T, S, events(2, start=3))

    cursors = [_cursor(text) for text in first.ids + second.ids]
    assert len(first.ids) == 3
    assert len(second.ids) == 2
    assert [c.id for c in cursors] == sorted({c.id for c in cursors})
    assert {c.epoch for c in cursors} == {cursors[0].epoch}
    assert first.head == first.ids[-1]
    assert second.head == second.ids[-1]
    state = await backend.log.state(T, S)
    assert state.head == cursors[-1].id
    assert state.epoch == cursors[0].epoch


async def test_stored_events_keep_type_data_and_epoch(backend: Backend) -> None:
    batch = [NewEvent("metric", b'{"cpu":0.42}'), NewEvent("message", b'"line\\nbreak"')]
    result = await backend.log.append(T, S, batch)

    stored = await backend.log.read_after(T, S, ZERO, 10)

    assert [(e.type, e.data) for e in stored] == [(e.type, e.data) for e in batch]
    assert [str(e.cursor) for e in stored] == result.ids


async def test_read_after_is_exclusive_ordered_and_bounded_by_count(backend: Backend) -> None:
    ids = _ids(await backend.log.append(T, S, events(6)))

    assert [e.id for e in await backend.log.read_after(T, S, ids[1], 100)] == ids[2:]
    assert [e.id for e in await backend.log.read_after(T, S, ids[1], 2)] == ids[2:4]
    assert [e.id for e in await backend.log.read_after(T, S, ZERO, 100)] == ids
    assert await backend.log.read_after(T, S, ids[-1], 100) == []


@pytest.mark.parametrize("past", ["next-ms", "max-id"], ids=["next-ms", "max-id"])
async def test_read_after_beyond_the_head_is_empty(backend: Backend, past: str) -> None:
    head = _ids(await backend.log.append(T, S, events(2)))[-1]
    after = StreamId(head.ms + 1, 0) if past == "next-ms" else LAST

    assert await backend.log.read_after(T, S, after, 10) == []


async def test_read_before_returns_the_newest_below_in_ascending_order(backend: Backend) -> None:
    ids = _ids(await backend.log.append(T, S, events(6)))

    assert [e.id for e in await backend.log.read_before(T, S, None, 3)] == ids[3:]
    assert [e.id for e in await backend.log.read_before(T, S, None, 100)] == ids
    assert [e.id for e in await backend.log.read_before(T, S, ids[4], 2)] == ids[2:4]
    assert [e.id for e in await backend.log.read_before(T, S, ids[1], 100)] == ids[:1]
    assert await backend.log.read_before(T, S, ids[0], 100) == []
    assert await backend.log.read_before(T, S, ZERO, 100) == []


@pytest.mark.parametrize("read", ["after", "before"], ids=["read_after", "read_before"])
async def test_reads_of_an_untouched_stream_are_empty(backend: Backend, read: str) -> None:
    if read == "after":
        assert await backend.log.read_after(T, "never", ZERO, 10) == []
    else:
        assert await backend.log.read_before(T, "never", None, 10) == []


async def test_each_event_links_to_its_predecessor_across_batches(backend: Backend) -> None:
    await backend.log.append(T, S, events(1))
    await backend.log.append(T, S, events(3, start=1))
    await backend.log.append(T, S, events(2, start=4))

    stored = await backend.log.read_after(T, S, ZERO, 100)

    assert len(stored) == 6
    assert stored[0].prev == ZERO
    for before, event in itertools.pairwise(stored):
        assert event.prev == before.id


async def test_state_of_an_untouched_stream(backend: Backend) -> None:
    state = await backend.log.state(T, "never-written")

    assert state.epoch is None
    assert state.head == ZERO
    assert state.oldest is None
    assert state.oldest_prev is None


async def test_state_after_appends_describes_head_and_oldest(backend: Backend) -> None:
    ids = _ids(await backend.log.append(T, S, events(4)))

    state = await backend.log.state(T, S)

    assert state.head == ids[-1]
    assert state.oldest == ids[0]
    assert state.oldest_prev == ZERO


async def test_ping_answers(backend: Backend) -> None:
    await backend.log.ping()


# --- epochs ---------------------------------------------------------------------------------


async def test_epoch_is_stable_across_appends(backend: Backend) -> None:
    epochs = set()
    for n in range(5):
        result = await backend.log.append(T, S, events(2, start=2 * n))
        epochs |= {_cursor(text).epoch for text in result.ids}

    assert len(epochs) == 1
    assert (await backend.log.state(T, S)).epoch in epochs


@pytest.mark.parametrize(
    "lost",
    [[Kind.STREAM, Kind.META], [Kind.STREAM]],
    ids=["stream-and-meta-deleted", "stream-deleted"],
)
async def test_lost_data_gets_a_new_epoch_and_old_cursors_reset(
    backend: Backend, lost: list[Kind]
) -> None:
    old = _cursor((await backend.log.append(T, S, events(3))).head)
    await backend.redis.delete(*[backend.keys.of(kind, T, S) for kind in lost])

    assert (await backend.log.state(T, S)).epoch is None
    new = _cursor((await backend.log.append(T, S, events(1))).head)
    state = await backend.log.state(T, S)

    assert new.epoch != old.epoch
    assert state.epoch == new.epoch
    start = resolve(old, state)
    assert start.reset is not None
    assert start.reset.reason == EPOCH_CHANGED
    assert start.after == state.head_cursor
    assert (await backend.log.read_after(T, S, ZERO, 10))[0].prev == ZERO


async def test_losing_only_the_meta_key_is_not_a_false_reset(backend: Backend) -> None:
    """Every event after the cursor is still retained, so resuming must not reset.

    DESIGN.md: "Never a false reset". If only the meta hash is lost (evicted on its own), the
    stream's entries still carry their epoch; the state must still resolve an old cursor.
    """
    old = _cursor((await backend.log.append(T, S, events(3))).ids[0])
    await backend.redis.delete(backend.keys.of(Kind.META, T, S))

    assert gap_reason(old, await backend.log.state(T, S)) is None
    await backend.log.append(T, S, events(1, start=3))
    assert gap_reason(old, await backend.log.state(T, S)) is None


# --- retention ------------------------------------------------------------------------------


async def test_retention_by_count_keeps_the_newest(backend: Backend) -> None:
    log = backend.event_log(Retention(max_events=5, max_age_seconds=0))
    ids = [_ids(await log.append(T, S, events(1, start=n)))[0] for n in range(8)]

    state = await log.state(T, S)
    kept = await log.read_after(T, S, ZERO, 100)

    assert await backend.redis.xlen(backend.keys.of(Kind.STREAM, T, S)) == 5
    assert [e.id for e in kept] == ids[3:]
    assert state.oldest == ids[3]
    assert state.oldest_prev == ids[2]
    assert state.head == ids[-1]
    assert kept[0].prev == ids[2]


async def test_retention_by_count_trims_within_one_large_batch(backend: Backend) -> None:
    log = backend.event_log(Retention(max_events=5, max_age_seconds=0))
    ids = _ids(await log.append(T, S, events(8)))

    state = await log.state(T, S)

    assert len(ids) == 8
    assert [e.id for e in await log.read_after(T, S, ZERO, 100)] == ids[3:]
    assert (state.oldest, state.oldest_prev, state.head) == (ids[3], ids[2], ids[7])


@pytest.mark.parametrize(
    ("position", "reason"),
    [
        (None, CURSOR_EXPIRED),
        (0, CURSOR_EXPIRED),
        (1, CURSOR_EXPIRED),
        (2, None),
        (3, None),
        (6, None),
        (7, None),
    ],
    ids=["zero", "first", "second", "oldest-prev", "oldest", "inside", "head"],
)
async def test_resume_after_trimming_resets_only_when_events_were_lost(
    backend: Backend, position: int | None, reason: str | None
) -> None:
    log = backend.event_log(Retention(max_events=5, max_age_seconds=0))
    cursors = [_cursor((await log.append(T, S, events(1, start=n))).head) for n in range(8)]
    epoch = cursors[0].epoch
    cursor = Cursor(ZERO, epoch) if position is None else cursors[position]
    state = await log.state(T, S)

    start = resolve(cursor, state)

    assert (start.reset.reason if start.reset else None) == reason
    if reason is None:
        following = await log.read_after(T, S, start.after.id, 100)
        assert [str(e.cursor) for e in following] == [str(c) for c in cursors if c.id > cursor.id]
        if following:
            assert following[0].prev == cursor.id
    else:
        assert start.after == state.head_cursor


async def test_earliest_resolves_to_just_before_the_oldest_retained(backend: Backend) -> None:
    log = backend.event_log(Retention(max_events=3, max_age_seconds=0))
    ids = _ids(await log.append(T, S, events(6)))
    state = await log.state(T, S)

    start = resolve("earliest", state)

    assert start.reset is None
    assert start.after.id == ids[2]
    assert [e.id for e in await log.read_after(T, S, start.after.id, 100)] == ids[3:]


async def _seed_old_entries(backend: Backend, epoch: str) -> list[StreamId]:
    """Entries written in 1970 (explicit IDs), shaped exactly as the append script writes them."""
    key = backend.keys.of(Kind.STREAM, T, S)
    ids, prev = [], "0-0"
    for entry in ("1000-0", "1000-1", "2000-0"):
        fields: dict[Any, Any] = {"t": "metric", "d": b'{"old":true}', "p": prev, "e": epoch}
        await backend.redis.xadd(key, fields, id=entry)
        ids.append(StreamId.parse(entry))
        prev = entry
    await backend.redis.hset(
        backend.keys.of(Kind.META, T, S), mapping={"epoch": epoch, "last": prev}
    )
    return ids


async def test_retention_by_age_trims_old_entries_and_keeps_new(backend: Backend) -> None:
    old = await _seed_old_entries(backend, "seeded01")
    log = backend.event_log(Retention(max_events=1000, max_age_seconds=3600))

    new = _ids(await log.append(T, S, events(2)))
    state = await log.state(T, S)

    assert [e.id for e in await log.read_after(T, S, ZERO, 100)] == new
    assert state.epoch == "seeded01"
    assert (state.oldest, state.oldest_prev) == (new[0], old[-1])
    assert resolve(Cursor(old[-1], "seeded01"), state).reset is None
    expired = resolve(Cursor(old[1], "seeded01"), state).reset
    assert expired is not None
    assert expired.reason == CURSOR_EXPIRED


async def test_retention_age_zero_means_no_age_cap(backend: Backend) -> None:
    old = await _seed_old_entries(backend, "seeded02")
    log = backend.event_log(Retention(max_events=1000, max_age_seconds=0))

    new = _ids(await log.append(T, S, events(1)))

    assert [e.id for e in await log.read_after(T, S, ZERO, 100)] == old + new


async def test_retention_by_age_keeps_recent_events(backend: Backend) -> None:
    """Entries appended just now are younger than any positive age: none may be trimmed."""
    log = backend.event_log(Retention(max_events=1000, max_age_seconds=1))
    ids = [_ids(await log.append(T, S, events(1, start=n)))[0] for n in range(5)]

    assert [e.id for e in await log.read_after(T, S, ZERO, 100)] == ids


# --- idempotency ----------------------------------------------------------------------------


async def test_idempotent_repeat_returns_the_first_answer_and_appends_nothing(
    backend: Backend,
) -> None:
    key = backend.keys.of(Kind.STREAM, T, S)
    first = await backend.log.append(T, S, events(3), idempotency_key="req-1")
    await backend.log.append(T, S, events(1, start=3))
    length = await backend.redis.xlen(key)

    again = await backend.log.append(T, S, events(3), idempotency_key="req-1")

    assert again == first
    assert await backend.redis.xlen(key) == length
    assert (await backend.log.state(T, S)).head != _cursor(again.head).id


@pytest.mark.parametrize(
    "other",
    [events(3, start=1), events(3, kind="alert"), events(2), events(4)],
    ids=["other-data", "other-type", "fewer-events", "more-events"],
)
async def test_idempotency_key_reused_with_another_body_is_refused(
    backend: Backend, other: list[NewEvent]
) -> None:
    key = backend.keys.of(Kind.STREAM, T, S)
    await backend.log.append(T, S, events(3), idempotency_key="req-1")

    with pytest.raises(InvalidBody) as caught:
        await backend.log.append(T, S, other, idempotency_key="req-1")

    assert caught.value.code == "idempotency_key_reused"
    assert await backend.redis.xlen(key) == 3


async def test_different_idempotency_keys_append_separately(backend: Backend) -> None:
    first = await backend.log.append(T, S, events(2), idempotency_key="req-1")
    second = await backend.log.append(T, S, events(2), idempotency_key="req-2")
    plain = await backend.log.append(T, S, events(2))

    assert len(set(first.ids + second.ids + plain.ids)) == 6
    assert await backend.redis.xlen(backend.keys.of(Kind.STREAM, T, S)) == 6


async def test_idempotency_keys_are_per_stream(backend: Backend) -> None:
    first = await backend.log.append(T, "one", events(1), idempotency_key="req-1")
    second = await backend.log.append(T, "two", events(1), idempotency_key="req-1")

    assert first != second
    assert await backend.redis.xlen(backend.keys.of(Kind.STREAM, T, "two")) == 1


async def test_concurrent_idempotent_repeats_append_once(backend: Backend) -> None:
    results = await asyncio.gather(
        *[backend.log.append(T, S, events(4), idempotency_key="req-1") for _ in range(10)]
    )

    assert all(result == results[0] for result in results)
    assert await backend.redis.xlen(backend.keys.of(Kind.STREAM, T, S)) == 4


async def test_idempotency_record_expires_within_a_day(backend: Backend) -> None:
    await backend.log.append(T, S, events(1), idempotency_key="req-1")
    pattern = f"{backend.keys.prefix}:{{{T}}}:{Kind.IDEMPOTENCY.value}:{S}:*"

    records = [key async for key in backend.redis.scan_iter(match=pattern)]

    assert len(records) == 1
    assert 0 < await backend.redis.pttl(records[0]) <= IDEMPOTENCY_TTL_MS


# --- atomic batches -------------------------------------------------------------------------


async def test_a_full_batch_is_one_round_trip(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await backend.log.append(T, "warm-up", events(1))
    sent = _count_commands(backend.redis, monkeypatch)

    result = await backend.log.append(T, S, events(500))

    assert len(result.ids) == 500
    assert [args[0] for args in sent] == ["EVALSHA"]


async def test_a_full_batch_is_not_interleaved_with_concurrent_appends(backend: Backend) -> None:
    small = [backend.log.append(T, S, events(2, kind="small")) for _ in range(10)]
    results = await asyncio.gather(backend.log.append(T, S, events(500)), *small)
    big = _ids(results[0])

    stored = [e.id for e in await backend.log.read_after(T, S, ZERO, 1000)]

    assert len(stored) == 520
    start = stored.index(big[0])
    assert stored[start : start + 500] == big
    chain = await backend.log.read_after(T, S, ZERO, 1000)
    assert all(b.prev == a.id for a, b in itertools.pairwise(chain))


async def test_a_crowd_of_concurrent_appends_queues_instead_of_failing(backend: Backend) -> None:
    """300 publishers at once (more than any pool holds) wait their turn; none gets a 503."""
    results = await asyncio.gather(
        *[backend.log.append(T, f"s{n}", events(1)) for n in range(300)], return_exceptions=True
    )

    failures = Counter(type(r).__name__ for r in results if isinstance(r, BaseException))
    assert failures == Counter()
    assert len({r.head for r in results if isinstance(r, AppendResult)}) == 300


# --- tenancy and keys -----------------------------------------------------------------------


async def test_tenants_never_see_each_others_events(backend: Backend) -> None:
    acme = await backend.log.append("acme", S, events(3, kind="acme"))
    globex = await backend.log.append("globex", S, events(2, kind="globex"))

    acme_seen = await backend.log.read_after("acme", S, ZERO, 100)
    globex_seen = await backend.log.read_before("globex", S, None, 100)

    assert [str(e.cursor) for e in acme_seen] == acme.ids
    assert [str(e.cursor) for e in globex_seen] == globex.ids
    assert {e.type for e in acme_seen} == {"acme"}
    assert {e.type for e in globex_seen} == {"globex"}
    assert (await backend.log.state("globex", S)).head == _cursor(globex.head).id
    assert (await backend.log.state("initech", S)).epoch is None


async def test_every_key_of_a_tenant_carries_its_hash_tag(backend: Backend) -> None:
    for tenant in ("acme", "globex"):
        await backend.log.append(tenant, S, events(1), idempotency_key="req-1")
        await backend.log.append(tenant, "other.stream", events(1))

    pattern = f"{backend.keys.prefix}:*"
    keys = [k.decode() async for k in backend.redis.scan_iter(match=pattern)]
    tenant_keys = [k for k in keys if ":proc:" not in k]

    assert len(tenant_keys) == 2 * 5
    for tenant in ("acme", "globex"):
        own = [k for k in tenant_keys if k.startswith(f"{backend.keys.prefix}:{{{tenant}}}:")]
        assert len(own) == 5
        assert len({key_slot(k.encode()) for k in own}) == 1


def test_keys_layout() -> None:
    keys = Keys("bs")

    assert keys.of(Kind.STREAM, "acme", "orders") == "bs:{acme}:s:orders"
    assert keys.of(Kind.META, "acme", "orders") == "bs:{acme}:m:orders"
    assert keys.of(Kind.IDEMPOTENCY, "acme", "orders", "ab12") == "bs:{acme}:i:orders:ab12"


BAD_NAMES = {
    "tenant-upper": ("Acme", S),
    "tenant-empty": ("", S),
    "tenant-brace": ("a}b", S),
    "tenant-hash-tag": ("{acme}", S),
    "tenant-colon": ("a:b", S),
    "tenant-glob": ("a*", S),
    "tenant-leading-dash": ("-acme", S),
    "tenant-dot": ("acme.x", S),
    "tenant-too-long": ("a" * 64, S),
    "tenant-non-ascii": ("äcme", S),
    "stream-upper": (T, "Orders"),
    "stream-empty": (T, ""),
    "stream-brace": (T, "a}b"),
    "stream-hash-tag": (T, "{s}"),
    "stream-colon": (T, "a:b"),
    "stream-glob": (T, "a*"),
    "stream-dot-dot": (T, ".."),
    "stream-inner-dot-dot": (T, "a..b"),
    "stream-leading-dot": (T, ".s"),
    "stream-too-long": (T, "s" * 129),
    "stream-non-ascii": (T, "ßtream"),
}


@pytest.mark.parametrize(("tenant", "stream"), list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_keys_refuse_invalid_names(tenant: str, stream: str) -> None:
    with pytest.raises(InvalidInput):
        Keys("bs").of(Kind.STREAM, tenant, stream)


def _operations(log: RedisEventLog, tenant: str, stream: str) -> list[Callable[[], Awaitable[Any]]]:
    return [
        lambda: log.append(tenant, stream, events(1)),
        lambda: log.append(tenant, stream, events(1), idempotency_key="req-1"),
        lambda: log.state(tenant, stream),
        lambda: log.read_after(tenant, stream, ZERO, 10),
        lambda: log.read_before(tenant, stream, None, 10),
    ]


@pytest.mark.parametrize(
    ("tenant", "stream"),
    [("Acme", "orders"), ("{acme}", "orders"), ("acme", "a:b"), ("acme", "*")],
    ids=["upper-tenant", "braced-tenant", "colon-stream", "glob-stream"],
)
async def test_log_refuses_invalid_names_before_any_store_call(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, tenant: str, stream: str
) -> None:
    sent = _count_commands(backend.redis, monkeypatch)

    for operation in _operations(backend.log, tenant, stream):
        with pytest.raises(InvalidInput):
            await operation()

    assert sent == []


# --- store failures -------------------------------------------------------------------------


@pytest.fixture
async def unreachable_log(prefix: str) -> AsyncIterator[RedisEventLog]:
    """A log whose Redis is a closed port: every call must fail fast as ``StoreUnavailable``."""
    closed = build_backend("closed", settings_for("redis://127.0.0.1:1", prefix))
    try:
        yield closed.log
    finally:
        await closed.aclose()


UNREACHABLE: dict[str, Callable[[RedisEventLog], Awaitable[Any]]] = {
    "append": lambda log: log.append(T, S, events(1)),
    "append-idempotent": lambda log: log.append(T, S, events(1), idempotency_key="k"),
    "state": lambda log: log.state(T, S),
    "read_after": lambda log: log.read_after(T, S, ZERO, 10),
    "read_before": lambda log: log.read_before(T, S, None, 10),
    "ping": lambda log: log.ping(),
}


@pytest.mark.parametrize("operation", list(UNREACHABLE), ids=list(UNREACHABLE))
async def test_an_unreachable_store_is_store_unavailable(
    unreachable_log: RedisEventLog, operation: str
) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await UNREACHABLE[operation](unreachable_log)

    assert caught.value.code == "store_unavailable"
    assert caught.value.retry_after >= 1


async def test_invalid_names_win_over_an_unreachable_store(unreachable_log: RedisEventLog) -> None:
    for operation in _operations(unreachable_log, "Acme", S):
        with pytest.raises(InvalidInput):
            await operation()
