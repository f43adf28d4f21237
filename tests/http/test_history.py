"""History pages through the real app: paging both ways, 410s, long-polls, hand-off to SSE."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
import redis

from tests.http.helpers import HEADERS, publish, stream_url
from tests.http.sse_client import burst
from tests.server import RunningServer
from tests.waiting import until

pytestmark = pytest.mark.anyio


async def _page(client: httpx.AsyncClient, base: str, stream: str, **params: Any) -> Any:
    response = await client.get(
        f"{stream_url(base, stream)}/history", params=params, headers=HEADERS
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_newest_page_is_ascending_with_cursors(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        ids = await publish(client, server.url, "h", *range(5))
        page = await _page(client, server.url, "h", limit=3)
    assert [e["id"] for e in page["events"]] == ids[2:]
    assert [e["data"] for e in page["events"]] == [2, 3, 4]
    assert {e["type"] for e in page["events"]} == {"metric"}
    assert all(e["time"].endswith("Z") for e in page["events"])
    assert page["head"] == ids[-1] == page["next"]
    assert page["prev"] == ids[2]


async def test_empty_stream_page(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        page = await _page(client, server.url, "never")
    assert page == {"events": [], "head": "0-0", "next": "0-0", "prev": None}


async def test_paging_forwards_and_backwards_covers_every_event_once(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        ids = await publish(client, server.url, "pg", *range(23))
        forwards: list[str] = []
        page = await _page(client, server.url, "pg", after="earliest", limit=5)
        while page["events"]:
            forwards += [e["id"] for e in page["events"]]
            page = await _page(client, server.url, "pg", after=page["next"], limit=5)
        backwards: list[str] = []
        page = await _page(client, server.url, "pg", limit=5)
        while True:
            backwards = [e["id"] for e in page["events"]] + backwards
            if page["prev"] is None:
                break
            page = await _page(client, server.url, "pg", before=page["prev"], limit=5)
    assert forwards == ids
    assert backwards == ids


async def test_after_a_trimmed_cursor_is_gone(make_server: Any) -> None:
    with make_server(retention_max_events=3) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            ids = await publish(client, server.url, "tr", *range(6))
            url = f"{stream_url(server.url, 'tr')}/history"
            gone = await client.get(url, params={"after": ids[0]}, headers=HEADERS)
            edge = await _page(client, server.url, "tr", after=ids[2])
    assert gone.status_code == 410
    assert gone.json() == {
        "error": "cursor_gone",
        "detail": "cursor can no longer be honoured: cursor_expired",
        "reason": "cursor_expired",
        "oldest": ids[3],
        "head": ids[-1],
    }
    assert [e["id"] for e in edge["events"]] == ids[3:]
    assert edge["prev"] is None


async def test_after_a_cursor_of_lost_data_is_gone(
    server: RunningServer, sync_redis: redis.Redis, prefix: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        old = await publish(client, server.url, "lost", 1)
        for key in sync_redis.scan_iter(match=f"{prefix}:{{acme}}:*:lost"):
            sync_redis.delete(key)
        url = f"{stream_url(server.url, 'lost')}/history"
        after = await client.get(url, params={"after": old[0]}, headers=HEADERS)
        before = await client.get(url, params={"before": old[0]}, headers=HEADERS)
    assert after.status_code == before.status_code == 410
    assert after.json()["reason"] == before.json()["reason"] == "epoch_changed"


async def test_long_poll_returns_when_an_event_arrives(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        start = (await _page(client, server.url, "lp"))["head"]
        pages: list[Any] = []

        async def poll() -> None:
            pages.append(await _page(client, server.url, "lp", after=start, wait=20))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(poll)
                await until(lambda: server.services.hub.listeners > 0)
                ids = await publish(client, server.url, "lp", "hello")
    assert [e["id"] for e in pages[0]["events"]] == ids
    assert pages[0]["head"] == ids[0] == pages[0]["next"]


async def test_long_poll_times_out_empty(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        ids = await publish(client, server.url, "quiet", 1)
        page = await _page(client, server.url, "quiet", after=ids[0], wait=0.3)
    assert page["events"] == []
    assert page["next"] == ids[0]
    assert server.services.hub.listeners == 0


async def test_history_then_sse_at_head_misses_nothing(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await publish(client, server.url, "handoff", *range(3))
        page = await _page(client, server.url, "handoff")
        later = await publish(client, server.url, "handoff", "after-load")
        url = f"{stream_url(server.url, 'handoff')}/events"
        result = await burst(
            client, url, HEADERS, params={"cursor": page["head"], "max_seconds": 0.3}
        )
    assert [e.id for e in result.data_events] == later


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"after": "1-0", "before": "2-0"}, "invalid_query"),
        ({"wait": "1"}, "invalid_query"),
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "1001"}, "invalid_request"),
        ({"limit": "ten"}, "invalid_request"),
        ({"after": "1-0", "wait": "26"}, "invalid_request"),
        ({"after": "yesterday"}, "invalid_cursor"),
        ({"before": "latest"}, "invalid_cursor"),
        ({"after": "1-0.UPPER"}, "invalid_cursor"),
    ],
    ids=[
        "after-and-before",
        "wait-without-after",
        "limit-zero",
        "limit-over",
        "limit-text",
        "wait-over",
        "after-word",
        "before-symbolic",
        "upper-epoch",
    ],
)
async def test_bad_queries_are_400(
    server: RunningServer, params: dict[str, str], code: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        url = f"{stream_url(server.url, 'q')}/history"
        response = await client.get(url, params=params, headers=HEADERS)
    assert response.status_code == 400
    assert response.json()["error"] == code
