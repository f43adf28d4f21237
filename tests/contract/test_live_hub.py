"""The live-feed contract (``core.ports.LiveFeed``): real Redis and the embedded store alike.

Waits are bounded by ``anyio.fail_after`` as hang guards only; nothing here measures time.
"""

from __future__ import annotations

import inspect
import itertools
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import anyio
import anyio.lowlevel
import pytest

from core.cursor import ZERO, StreamId
from core.errors import InvalidInput
from core.events import StoredEvent
from infra.hub import HubListener
from tests.contract.conftest import Backend, events

pytestmark = pytest.mark.anyio

T, S = "acme", "orders"
GUARD = 5
"""Seconds before a wait counts as a hang: far above any honest delivery, far below a block."""
POLLS = 500


async def _collect(listener: HubListener, count: int) -> list[StoredEvent]:
    """At least ``count`` events from ``listener``, however they are batched."""
    got: list[StoredEvent] = []
    with anyio.fail_after(GUARD):
        while len(got) < count:
            got += await listener.next_batch(1.0)
    return got


async def _wait_until(condition: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Poll ``condition`` a bounded number of times (a hang guard, not a time limit)."""
    for _ in range(POLLS):
        outcome = condition()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        await anyio.sleep(0.01)
    pytest.fail(f"gave up waiting until {what}")


async def _connections(backend: Backend) -> list[dict[str, str]]:
    """This backend's connections to real Redis, as ``CLIENT LIST`` reports them."""
    own = f"burstream-{backend.keys.prefix}-"
    clients = await backend.clients.health.client_list()
    return [client for client in clients if client["name"].startswith(own)]


async def _reader_blocked(backend: Backend) -> bool:
    return any(
        client["name"].endswith("-hub") and "b" in client["flags"]
        for client in await _connections(backend)
    )


def _cursors(batch: list[StoredEvent]) -> list[str]:
    return [str(event.cursor) for event in batch]


async def test_a_listener_receives_later_events_in_order(backend: Backend) -> None:
    async with backend.hub.listen(T, S, ZERO) as listener:
        appended = []
        for n in range(3):
            appended += (await backend.log.append(T, S, events(1, start=n))).ids
        appended += (await backend.log.append(T, S, events(5, start=3))).ids

        got = await _collect(listener, 8)

    assert _cursors(got) == appended
    assert [event.data for event in got] == [event.data for event in events(8)]
    assert got[0].prev == ZERO
    assert all(event.prev == before.id for before, event in itertools.pairwise(got))


async def test_a_new_stream_is_read_from_the_listeners_position(backend: Backend) -> None:
    earlier = (await backend.log.append(T, S, events(3))).ids
    after = StreamId.parse(earlier[0].split(".")[0])

    async with backend.hub.listen(T, S, after) as listener:
        later = (await backend.log.append(T, S, events(1, start=3))).ids
        got = await _collect(listener, 3)

    assert _cursors(got) == earlier[1:] + later


async def test_listeners_of_one_stream_share_the_same_event_objects(backend: Backend) -> None:
    async with backend.hub.listen(T, S, ZERO) as one, backend.hub.listen(T, S, ZERO) as two:
        await backend.log.append(T, S, events(3))
        first, second = await _collect(one, 3), await _collect(two, 3)

    assert len(first) == len(second) == 3
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert all(a.frame() is b.frame() for a, b in zip(first, second, strict=True))


async def test_listeners_get_only_their_own_streams_events(backend: Backend) -> None:
    targets = [("acme", "orders"), ("acme", "billing"), ("globex", "orders")]
    async with AsyncExitStack() as stack:
        listeners = [
            await stack.enter_async_context(backend.hub.listen(tenant, stream, ZERO))
            for tenant, stream in targets
        ]
        appended = [
            (await backend.log.append(tenant, stream, events(n + 1, kind=f"kind{n}"))).ids
            for n, (tenant, stream) in enumerate(targets)
        ]

        for listener, ids in zip(listeners, appended, strict=True):
            assert _cursors(await _collect(listener, len(ids))) == ids
            assert await listener.next_batch(0.05) == []


async def test_next_batch_returns_nothing_after_its_timeout(backend: Backend) -> None:
    async with backend.hub.listen(T, S, ZERO) as listener:
        with anyio.fail_after(GUARD):
            assert await listener.next_batch(0.05) == []
        assert not listener.overflowed
        assert not listener.closed


async def test_an_overflowing_listener_is_marked_and_does_not_grow(backend: Backend) -> None:
    hub = backend.new_hub(queue_size=3)
    async with hub.listen(T, S, ZERO) as slow, hub.listen(T, S, ZERO) as fast:
        for n in range(10):
            await backend.log.append(T, S, events(1, start=n))
            assert len(await _collect(fast, 1)) == 1

        assert slow.overflowed
        assert not fast.overflowed
        with anyio.fail_after(GUARD):
            assert len(await slow.next_batch(30)) <= 3
        assert slow.overflowed


async def test_the_reader_stops_with_its_last_listener(backend: Backend) -> None:
    hub = backend.hub
    async with hub.listen(T, S, ZERO) as one, hub.listen("globex", S, ZERO):
        await backend.log.append(T, S, events(1))
        await _collect(one, 1)
        assert hub.running
        assert (hub.listeners, hub.streams) == (2, 2)

    await _wait_until(lambda: not hub.running, "the reader stops")
    assert (hub.listeners, hub.streams) == (0, 0)
    if backend.real:
        assert not await _reader_blocked(backend)


async def test_the_reader_restarts_for_a_new_listener(backend: Backend) -> None:
    hub = backend.hub
    async with hub.listen(T, S, ZERO):
        pass
    await _wait_until(lambda: not hub.running, "the reader stops")

    async with hub.listen(T, S, ZERO) as listener:
        appended = (await backend.log.append(T, S, events(2))).ids
        assert _cursors(await _collect(listener, 2)) == appended


async def test_a_stream_added_while_the_reader_blocks_is_read_at_once(backend: Backend) -> None:
    """The reader re-enters ``XREAD BLOCK`` (30 s here) on ``first`` alone before the test sees
    the first event; ``second`` must still be read at once, not when that block ends."""
    hub = backend.new_hub(block_ms=30_000)
    async with hub.listen(T, "first", ZERO) as first:
        await backend.log.append(T, "first", events(1))
        await _collect(first, 1)
        if backend.real:
            await _wait_until(lambda: _reader_blocked(backend), "the reader blocks")

        async with hub.listen(T, "second", ZERO) as second:
            appended = (await backend.log.append(T, "second", events(1))).ids
            with anyio.fail_after(GUARD):
                assert _cursors(await second.next_batch(30)) == appended


async def test_register_unregister_cycles_leave_nothing_behind(backend: Backend) -> None:
    hub = backend.hub
    for n in range(200):
        async with hub.listen("acme" if n % 2 else "globex", f"s{n % 7}", ZERO):
            assert hub.listeners == 1

    await _wait_until(lambda: not hub.running, "the reader stops")
    assert (hub.listeners, hub.streams) == (0, 0)


async def test_concurrent_register_unregister_cycles_leave_nothing_behind(
    backend: Backend,
) -> None:
    hub = backend.hub

    async def cycle(n: int) -> None:
        async with hub.listen(T, f"s{n % 13}", ZERO):
            await anyio.lowlevel.checkpoint()

    with anyio.fail_after(GUARD):
        async with anyio.create_task_group() as group:
            for n in range(200):
                group.start_soon(cycle, n)

    await _wait_until(lambda: not hub.running, "the reader stops")
    assert (hub.listeners, hub.streams) == (0, 0)


async def test_close_marks_every_listener_closed(backend: Backend) -> None:
    """The shutdown path of a process: bursts see ``closed``, leave, and ``close`` returns."""
    hub = backend.new_hub()
    with anyio.fail_after(GUARD):
        async with (
            anyio.create_task_group() as group,
            hub.listen(T, S, ZERO) as one,
            hub.listen("globex", "other", ZERO) as two,
        ):
            await backend.log.append(T, S, events(1))
            await _collect(one, 1)

            group.start_soon(hub.close)

            await _wait_until(lambda: one.closed and two.closed, "both listeners are closed")
            assert await two.next_batch(30) == []
            assert await one.next_batch(30) == []

    assert not hub.running
    assert (hub.listeners, hub.streams) == (0, 0)


@pytest.mark.parametrize(
    "moment", ["reader-blocked", "just-after-delivery"], ids=["reader-blocked", "after-delivery"]
)
async def test_close_returns_while_listeners_are_still_registered(
    backend: Backend, moment: str
) -> None:
    """``close`` must stop the reader by itself, not wait for every burst to leave first."""
    hub = backend.new_hub()
    async with hub.listen(T, S, ZERO) as listener:
        await backend.log.append(T, S, events(1))
        await _collect(listener, 1)
        if moment == "reader-blocked":
            await _settle_reader(backend)

        with anyio.fail_after(GUARD):
            await hub.close()

        assert listener.closed
        assert not hub.running


async def _settle_reader(backend: Backend) -> None:
    """Let the reader park in its next ``XREAD BLOCK``.

    Real Redis shows it (``CLIENT LIST`` flag ``b``); the emulation cannot, so there the test
    yields for a moment instead.
    """
    if backend.real:
        await _wait_until(lambda: _reader_blocked(backend), "the reader blocks")
    else:
        await anyio.sleep(0.1)


@pytest.mark.parametrize(
    ("tenant", "stream"),
    [("Acme", S), ("{acme}", S), (T, "a:b"), (T, "*")],
    ids=["upper-tenant", "braced-tenant", "colon-stream", "glob-stream"],
)
async def test_listen_refuses_invalid_names(backend: Backend, tenant: str, stream: str) -> None:
    with pytest.raises(InvalidInput):
        async with backend.hub.listen(tenant, stream, ZERO):
            pass

    assert (backend.hub.listeners, backend.hub.streams) == (0, 0)
    assert not backend.hub.running


async def _fan_out_to_many(backend: Backend, listeners: int, streams: int) -> list[str]:
    """Run ``listeners`` bursts over ``streams`` streams; return the connection names meanwhile."""
    hub, received, names = backend.hub, {}, []
    done = anyio.Event()

    async def burst(n: int) -> None:
        async with hub.listen(T, f"s{n % streams}", ZERO) as listener:
            received[n] = await _collect(listener, 1)
            await done.wait()

    with anyio.fail_after(4 * GUARD):
        async with anyio.create_task_group() as group:
            for n in range(listeners):
                group.start_soon(burst, n)
            await _wait_until(lambda: hub.listeners == listeners, "every burst listens")
            for n in range(streams):
                await backend.log.append(T, f"s{n}", events(1, start=n))
            await _wait_until(lambda: len(received) == listeners, "every burst got its event")
            if backend.real:
                names = [client["name"] for client in await _connections(backend)]
            done.set()

    for n, batch in received.items():
        assert [event.data for event in batch] == [b'{"n":%d}' % (n % streams)]
        assert batch[0] is received[n % streams][0]
    return names


async def test_many_listeners_on_many_streams_each_get_their_events(backend: Backend) -> None:
    await _fan_out_to_many(backend, listeners=300, streams=50)

    await _wait_until(lambda: not backend.hub.running, "the reader stops")


@pytest.mark.redis
async def test_many_listeners_hold_no_connection_of_their_own(real_backend: Backend) -> None:
    names = await _fan_out_to_many(real_backend, listeners=300, streams=50)

    roles = Counter(name.rsplit("-", 1)[-1] for name in names if not name.endswith("-health"))
    assert real_backend.settings.redis_pool_size == 1
    assert roles["hub"] == 1
    assert roles["cmd"] <= real_backend.settings.redis_pool_size
    assert sum(roles.values()) <= 2


@pytest.mark.redis
async def test_hub_and_commands_use_their_own_named_connections(real_backend: Backend) -> None:
    async with real_backend.hub.listen(T, S, ZERO) as listener:
        await real_backend.log.append(T, S, events(1))
        await _collect(listener, 1)
        await _wait_until(lambda: _reader_blocked(real_backend), "the reader blocks")
        names = sorted(client["name"] for client in await _connections(real_backend))

    prefix = f"burstream-{real_backend.keys.prefix}"
    assert names == [f"{prefix}-cmd", f"{prefix}-health", f"{prefix}-hub"]


async def test_a_new_hub_is_idle(backend: Backend) -> None:
    hub = backend.new_hub()

    assert (hub.listeners, hub.streams, hub.running) == (0, 0, False)
