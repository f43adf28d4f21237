"""Edges a careful client (or a hostile one) reaches: deep JSON, big pages, cursors between
entries, empty and repeated parameters, long-polls under a lease, retries under a rate limit."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from tests.http.helpers import HEADERS, publish, stream_url
from tests.http.sse_client import burst
from tests.server import RunningServer
from tests.waiting import until

pytestmark = pytest.mark.anyio


async def test_deeply_nested_data_is_422_not_500(server: RunningServer) -> None:
    body = '{"events":[{"data":' + "[" * 1000 + "]" * 1000 + "}]}"
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{stream_url(server.url, 'deep')}/events",
            content=body,
            headers={**HEADERS, "Content-Type": "application/json"},
        )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_json"


async def test_history_pages_are_cut_to_the_byte_cap(make_server: Any) -> None:
    with make_server(burst_max_bytes=2048) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            ids = await publish(client, server.url, "big", *["x" * 600] * 5)
            url = f"{stream_url(server.url, 'big')}/history"
            newest = (await client.get(url, headers=HEADERS)).json()
            forwards: list[str] = []
            cursor = "earliest"
            while True:
                page = (await client.get(url, params={"after": cursor}, headers=HEADERS)).json()
                if not page["events"]:
                    break
                assert len(page["events"]) <= 2
                forwards += [e["id"] for e in page["events"]]
                cursor = page["next"]
    assert [e["id"] for e in newest["events"]] == ids[3:]
    assert newest["prev"] == ids[3]
    assert forwards == ids


async def test_a_bare_cursor_between_entries_is_no_reset(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        first = await publish(client, server.url, "between", "a")
        await anyio.sleep(0.01)
        second = await publish(client, server.url, "between", "b")
        ms = first[0].split("-")[0]
        between = f"{ms}-999"
        assert between < second[0]
        url = stream_url(server.url, "between")
        page = await client.get(f"{url}/history", params={"after": between}, headers=HEADERS)
        result = await burst(
            client,
            f"{url}/events",
            {**HEADERS, "Last-Event-ID": between},
            params={"max_seconds": 0.3},
        )
    assert page.status_code == 200
    assert [e["id"] for e in page.json()["events"]] == second
    assert "reset" not in result.kinds
    assert result.data_ids == second


async def test_reset_keeps_the_clients_cursor_on_ready(make_server: Any) -> None:
    with make_server(retention_max_events=2) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            ids = await publish(client, server.url, "cut", *range(5))
            url = f"{stream_url(server.url, 'cut')}/events"
            params = {"cursor": ids[0], "max_seconds": 0.2}
            result = await burst(client, url, HEADERS, params=params)
    assert result.kinds == ["ready", "reset", "burst-end"]
    assert result.events[0].id == ids[0]
    assert result.ready["cursor"] == ids[-1]
    assert result.events[1].id == ids[-1]


async def test_an_empty_page_before_a_cursor_has_no_next(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await publish(client, server.url, "bn", 1)
        url = f"{stream_url(server.url, 'bn')}/history"
        page = (await client.get(url, params={"before": "0-0"}, headers=HEADERS)).json()
    assert page["events"] == []
    assert page["next"] is None


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("events", "cursor="),
        ("events", "cursor=earliest&cursor=latest"),
        ("history", "after=earliest&after=latest"),
        ("history", "limit=5&limit=6"),
    ],
    ids=["empty-cursor", "two-cursors", "two-afters", "two-limits"],
)
async def test_empty_or_repeated_parameters_are_400(
    server: RunningServer, path: str, query: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        url = f"{stream_url(server.url, 'q')}/{path}?{query}"
        response = await client.get(url, headers=HEADERS)
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_cursor", "invalid_query"}


async def test_a_long_poll_holds_a_lease(make_server: Any) -> None:
    with make_server(max_connections_per_user=1) as server:
        url = stream_url(server.url, "lease")
        async with httpx.AsyncClient(timeout=10) as client, anyio.create_task_group() as group:
            head = (await client.get(f"{url}/history", headers=HEADERS)).json()["head"]

            async def long_poll() -> None:
                params = {"after": head, "wait": 5}
                await client.get(f"{url}/history", params=params, headers=HEADERS)

            group.start_soon(long_poll)
            await until(lambda: server.services.hub.listeners == 1)
            refused = await client.get(f"{url}/events", headers=HEADERS)
            plain = await client.get(f"{url}/history", headers=HEADERS)
            await publish(client, server.url, "lease", "wake")
    assert refused.status_code == 429
    assert refused.json()["error"] == "user_connections"
    assert plain.status_code == 200


async def test_an_idempotent_retry_is_answered_under_the_rate_limit(make_server: Any) -> None:
    with make_server(publish_rate_per_second=0.001, publish_burst=2) as server:
        url = f"{stream_url(server.url, 'rate')}/events"
        body = {"events": [{"data": 1}, {"data": 2}]}
        headers = {**HEADERS, "Idempotency-Key": "once"}
        async with httpx.AsyncClient(timeout=10) as client:
            first = await client.post(url, json=body, headers=headers)
            retry = await client.post(url, json=body, headers=headers)
            fresh = await client.post(url, json=body, headers=HEADERS)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert fresh.status_code == 429
    assert json.loads(fresh.text)["error"] == "publish_rate"
