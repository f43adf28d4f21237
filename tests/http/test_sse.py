"""SSE bursts through the real app: framing, start positions, resets, ends, caps."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
import redis

from tests.http.helpers import HEADERS, head, publish, stream_url
from tests.http.sse_client import burst
from tests.server import RunningServer
from tests.waiting import until

pytestmark = pytest.mark.anyio


async def _burst(server: RunningServer, stream: str, **params: Any) -> Any:
    headers = dict(HEADERS)
    if "last_event_id" in params:
        headers["Last-Event-ID"] = params.pop("last_event_id")
    params.setdefault("max_seconds", 0.3)
    async with httpx.AsyncClient(timeout=10) as client:
        return await burst(
            client, f"{stream_url(server.url, stream)}/events", headers, params=params
        )


async def test_burst_frames_ready_events_and_end(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        ids = await publish(client, server.url, "m", {"cpu": 0.42}, {"multi": "a\nb"})
        plain = await publish(client, server.url, "m", [1, 2], kind="message")
    result = await _burst(server, "m", cursor="earliest")
    assert result.kinds == ["ready", "metric", "metric", "message", "burst-end"]
    assert result.ready["mode"] == "streaming"
    assert 0 < result.ready["deadline_ms"] <= 300
    assert [e.id for e in result.data_events] == [*ids, *plain]
    assert json.loads(result.events[2].data) == {"multi": "a\nb"}
    assert json.loads(result.events[3].data) == [1, 2]
    assert result.end == {"cursor": plain[0], "reason": "deadline", "retry_ms": 500}
    assert result.last_id == plain[0]


async def test_message_type_has_no_event_field(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await publish(client, server.url, "plain", {"x": 1}, kind="message")
        url = f"{stream_url(server.url, 'plain')}/events"
        params = {"cursor": "earliest", "max_seconds": 0.2}
        response = await client.get(url, headers=HEADERS, params=params)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"].startswith("no-cache")
    frames = response.content.split(b"\n\n")
    assert frames[0].startswith(b"retry: 500\nid: 0-0.")
    event_frame = frames[1].split(b"\n")
    assert event_frame[0].startswith(b"id: ")
    assert event_frame[1] == b'data: {"x":1}'


async def test_ready_carries_the_resolved_start_cursor(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        ids = await publish(client, server.url, "r", 1, 2)
    latest = await _burst(server, "r")
    assert latest.kinds == ["ready", "burst-end"]
    assert latest.events[0].id == ids[-1] == latest.ready["cursor"]
    earliest = await _burst(server, "r", cursor="earliest")
    assert earliest.events[0].id.startswith("0-0.")


async def test_last_event_id_wins_over_cursor(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        ids = await publish(client, server.url, "p", 1, 2, 3)
    result = await _burst(server, "p", cursor="earliest", last_event_id=ids[1])
    assert [e.id for e in result.data_events] == [ids[2]]
    from_cursor = await _burst(server, "p", cursor=ids[0])
    assert [e.id for e in from_cursor.data_events] == ids[1:]


async def test_bare_cursor_skips_the_epoch_check(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        ids = await publish(client, server.url, "bare", 1, 2)
    result = await _burst(server, "bare", cursor=ids[0].split(".")[0])
    assert [e.id for e in result.data_events] == [ids[1]]


async def test_live_events_arrive_during_the_burst(server: RunningServer) -> None:
    url = f"{stream_url(server.url, 'live')}/events"
    async with httpx.AsyncClient(timeout=10) as client, anyio.create_task_group() as group:
        results: list[Any] = []

        async def subscribe() -> None:
            results.append(await burst(client, url, HEADERS, params={"max_seconds": 1.5}))

        group.start_soon(subscribe)
        await until(lambda: server.services.hub.listeners == 1)
        ids = await publish(client, server.url, "live", {"n": 1}, {"n": 2})
    assert [e.id for e in results[0].data_events] == ids


async def test_heartbeat_comments_in_streaming_mode(make_server: Any) -> None:
    with make_server(heartbeat_seconds=0.1) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            url = f"{stream_url(server.url, 'hb')}/events"
            response = await client.get(url, headers=HEADERS, params={"max_seconds": 0.5})
    assert response.content.count(b": ping\n\n") >= 2


async def test_reset_after_trimming_then_continues_from_head(make_server: Any) -> None:
    with make_server(retention_max_events=3) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            ids = await publish(client, server.url, "t", *range(6))
        result = await _burst(server, "t", cursor=ids[0])
    assert result.kinds == ["ready", "reset", "burst-end"]
    reset = json.loads(result.events[1].data)
    assert reset == {"reason": "cursor_expired", "oldest": ids[3], "head": ids[-1]}
    assert result.events[1].id == ids[-1] == result.end["cursor"]


async def test_no_false_reset_at_the_edge_of_retention(make_server: Any) -> None:
    with make_server(retention_max_events=3) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            ids = await publish(client, server.url, "edge", *range(6))
        result = await _burst(server, "edge", cursor=ids[2])
    assert "reset" not in result.kinds
    assert [e.id for e in result.data_events] == ids[3:]


async def test_reset_after_the_stream_data_is_deleted(
    server: RunningServer, sync_redis: redis.Redis, prefix: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        old = await publish(client, server.url, "gone", 1)
        for key in sync_redis.scan_iter(match=f"{prefix}:{{acme}}:*:gone"):
            sync_redis.delete(key)
        new = await publish(client, server.url, "gone", 2)
    assert old[0].split(".")[1] != new[0].split(".")[1]
    result = await _burst(server, "gone", cursor=old[0])
    assert result.kinds == ["ready", "reset", "burst-end"]
    assert json.loads(result.events[1].data)["reason"] == "epoch_changed"
    assert result.events[1].id == new[0]


async def test_resume_across_bursts_while_publishing(server: RunningServer) -> None:
    """100 events/s for 5 s; bursts resumed with Last-Event-ID get each exactly once."""
    published: list[str] = []
    received: list[str] = []
    bursts = 0
    async with httpx.AsyncClient(timeout=10) as client:
        cursor = await head(client, server.url, "flow")

        async def publisher() -> None:
            for n in range(500):
                published.extend(await publish(client, server.url, "flow", {"n": n}))
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as group:
            group.start_soon(publisher)
            while bursts < 3 or len(received) < len(published) or len(published) < 500:
                assert bursts < 20, "did not catch up"
                headers = {**HEADERS, "Last-Event-ID": cursor}
                url = f"{stream_url(server.url, 'flow')}/events"
                result = await burst(client, url, headers, params={"max_seconds": 1.8})
                assert result.events[0].id == cursor
                received.extend(e.id for e in result.data_events)
                cursor = result.last_id
                bursts += 1
    assert received == published
    assert bursts >= 3


async def test_buffered_mode_ends_after_a_batch(make_server: Any) -> None:
    with make_server(sse_mode="buffered", buffered_linger_ms=50) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            ids = await publish(client, server.url, "buf", 1, 2)
        result = await _burst(server, "buf", cursor="earliest", max_seconds=5)
        empty = await _burst(server, "buf", max_seconds=0.3)
    assert result.ready["mode"] == "buffered"
    assert [e.id for e in result.data_events] == ids
    assert result.end["reason"] == "batch"
    assert empty.kinds == ["ready", "burst-end"]
    assert empty.end["reason"] == "deadline"


async def test_event_cap_ends_with_limit_and_immediate_retry(make_server: Any) -> None:
    with make_server(burst_max_events=3) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            ids = await publish(client, server.url, "cap", *range(5))
        first = await _burst(server, "cap", cursor="earliest", max_seconds=5)
        rest = await _burst(server, "cap", last_event_id=first.last_id)
    assert [e.id for e in first.data_events] == ids[:3]
    assert first.end == {"cursor": ids[2], "reason": "limit", "retry_ms": 0}
    assert first.events[-1].retry == 0
    assert [e.id for e in rest.data_events] == ids[3:]


async def test_slow_listener_ends_with_slow(make_server: Any) -> None:
    with make_server(listener_queue_events=2) as server:
        url = f"{stream_url(server.url, 'slow')}/events"
        async with httpx.AsyncClient(timeout=10) as client, anyio.create_task_group() as group:
            results: list[Any] = []

            async def subscribe() -> None:
                results.append(await burst(client, url, HEADERS, params={"max_seconds": 5}))

            group.start_soon(subscribe)
            await until(lambda: server.services.hub.listeners == 1)
            await publish(client, server.url, "slow", *range(10))
        assert results[0].end["reason"] == "slow"
        assert server.services.hub.listeners == 0


@pytest.mark.parametrize(
    ("path", "params", "headers", "status", "code"),
    [
        ("acme/streams/m", {"cursor": "nope"}, {}, 400, "invalid_cursor"),
        ("acme/streams/m", {}, {"Last-Event-ID": "1-x"}, 400, "invalid_cursor"),
        ("acme/streams/m", {"max_seconds": "0"}, {}, 400, "invalid_request"),
        ("acme/streams/m", {"max_seconds": "soon"}, {}, 400, "invalid_request"),
        ("Acme/streams/m", {}, {}, 400, "invalid_tenant"),
        ("acme/streams/a:b", {}, {}, 400, "invalid_stream"),
        ("acme/streams/%7Bx%7D", {}, {}, 400, "invalid_stream"),
        ("other/streams/m", {}, {}, 403, "tenant_forbidden"),
    ],
    ids=[
        "bad-cursor",
        "bad-last-event-id",
        "zero-seconds",
        "non-numeric-seconds",
        "upper-case-tenant",
        "colon-stream",
        "hash-tag-stream",
        "other-tenant",
    ],
)
async def test_bad_requests_get_json_errors(
    server: RunningServer,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        url = f"{server.url}/api/v1/tenants/{path}/events"
        response = await client.get(url, params=params, headers={**HEADERS, **headers})
    assert response.status_code == status
    assert response.json()["error"] == code
