"""Tenant isolation: what a subscriber receives is its own stream's events and nothing else.

The property runs the whole path (publish script, keys, the live hub's shared read, catch-up
reads) with random tenant and stream names drawn from a tiny alphabet, so near-collisions
(``a`` + ``b-c`` against ``a-b`` + ``c``, ``a.b`` against ``a-b``) come up often. Subscribers
hold a token for every tenant of the example: isolation must come from the storage and the
fan-out, not from authorisation hiding a leak.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
from httpx_sse import aconnect_sse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.http.sse_client import burst
from tests.security.credentials import bearer, mint
from tests.server import RunningServer
from tests.waiting import until

pytestmark = pytest.mark.anyio

Pair = tuple[str, str]

TENANTS = st.from_regex(r"[ab0-][ab0-]{0,3}", fullmatch=True).filter(
    lambda name: not name.startswith("-")
)
STREAMS = st.from_regex(r"[ab0.-]{1,5}", fullmatch=True).filter(
    lambda name: name[0] not in ".-" and ".." not in name
)
PAIRS = st.lists(st.tuples(TENANTS, STREAMS), min_size=2, max_size=4, unique=True)


def _url(base: str, pair: Pair, what: str = "events") -> str:
    tenant, stream = pair
    return f"{base}/api/v1/tenants/{tenant}/streams/{stream}/{what}"


async def _head(client: httpx.AsyncClient, base: str, pair: Pair, headers: Any) -> str:
    response = await client.get(_url(base, pair, "history"), params={"limit": 1}, headers=headers)
    assert response.status_code == 200, response.text
    head: str = response.json()["head"]
    return head


async def _follow(
    client: httpx.AsyncClient, base: str, pair: Pair, cursor: str, want: int, headers: Any
) -> tuple[list[dict[str, Any]], str]:
    """Read bursts from ``cursor`` until ``want`` events came; leave at once after that."""
    received: list[dict[str, Any]] = []
    for _ in range(20):
        params = {"cursor": cursor, "max_seconds": 5}
        async with aconnect_sse(
            client, "GET", _url(base, pair), headers=headers, params=params
        ) as s:
            assert s.response.status_code == 200
            async for event in s.aiter_sse():
                cursor = event.id or cursor
                if event.event == "metric":
                    received.append({"id": event.id, **json.loads(event.data)})
                if len(received) >= want:
                    return received, cursor
    raise AssertionError(f"{pair}: only {len(received)} of {want} events arrived")


async def _publish(client: httpx.AsyncClient, base: str, pair: Pair, n: int, headers: Any) -> str:
    body = {"events": [{"type": "metric", "data": {"to": list(pair), "n": n}}]}
    response = await client.post(_url(base, pair), json=body, headers=headers)
    assert response.status_code == 201, response.text
    cursor: str = response.json()["ids"][0]
    return cursor


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pairs=PAIRS, rounds=st.integers(min_value=1, max_value=3))
async def test_every_subscriber_receives_exactly_its_own_streams_events(
    server: RunningServer, pairs: list[Pair], rounds: int
) -> None:
    headers = bearer(mint(sorted({tenant for tenant, _ in pairs}), subject="prop"))
    results: dict[Pair, tuple[list[dict[str, Any]], str]] = {}
    published: dict[Pair, list[str]] = {pair: [] for pair in pairs}
    async with httpx.AsyncClient(timeout=15) as client:
        heads = {pair: await _head(client, server.url, pair, headers) for pair in pairs}

        async def subscribe(pair: Pair) -> None:
            results[pair] = await _follow(client, server.url, pair, heads[pair], rounds, headers)

        async with anyio.create_task_group() as group:
            for pair in pairs:
                group.start_soon(subscribe, pair)
            await until(lambda: server.services.hub.listeners >= len(pairs))
            for n in range(rounds):
                for pair in pairs:
                    published[pair].append(await _publish(client, server.url, pair, n, headers))
        for pair in pairs:
            received, last = results[pair]
            assert [event["id"] for event in received] == published[pair]
            assert all(event["to"] == list(pair) for event in received)
            after = await burst(
                client, _url(server.url, pair), headers, params={"cursor": last, "max_seconds": 0.2}
            )
            assert after.data_events == [], f"{pair} received more than its own events"


async def test_connect_to_tenant_a_publish_to_tenant_b_receive_nothing(
    server: RunningServer,
) -> None:
    """The seed's scenario: one user in two tenants, the same stream name in both."""
    headers = bearer(mint(["tenant-a", "tenant-b"]))
    a, b = ("tenant-a", "alerts"), ("tenant-b", "alerts")
    async with httpx.AsyncClient(timeout=10) as client, anyio.create_task_group() as group:
        bursts: dict[Pair, Any] = {}

        async def subscribe(pair: Pair) -> None:
            params = {"max_seconds": 1.5}
            bursts[pair] = await burst(client, _url(server.url, pair), headers, params=params)

        group.start_soon(subscribe, a)
        group.start_soon(subscribe, b)
        await until(lambda: server.services.hub.listeners == 2)
        sent = await _publish(client, server.url, b, 1, headers)
    assert bursts[a].status == 200
    assert bursts[a].data_events == []
    assert [event.id for event in bursts[b].data_events] == [sent]
    history_a = await _history(server, a, headers)
    assert history_a["events"] == []


async def test_connect_to_a_tenant_the_user_does_not_belong_to(
    server: RunningServer, sync_redis: Any, prefix: str
) -> None:
    """Refused with 403 before any stream work: no listener, no lease, no key written."""
    headers = bearer(mint(["acme"]))
    pair = ("globex", "alerts")
    async with httpx.AsyncClient(timeout=10) as client:
        sse = await client.get(_url(server.url, pair), headers=headers)
        history = await client.get(_url(server.url, pair, "history"), headers=headers)
        published = await client.post(
            _url(server.url, pair), json={"events": [{"data": 1}]}, headers=headers
        )
        ticket = await client.post(
            f"{server.url}/api/v1/tenants/globex/tickets",
            json={"streams": ["alerts"]},
            headers=headers,
        )
    for response in (sse, history, published, ticket):
        assert response.status_code == 403
        assert response.json()["error"] == "tenant_forbidden"
    assert server.services.hub.listeners == 0
    assert list(sync_redis.scan_iter(match=f"{prefix}:*")) == []


async def _history(server: RunningServer, pair: Pair, headers: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(_url(server.url, pair, "history"), headers=headers)
    assert response.status_code == 200
    page: dict[str, Any] = response.json()
    return page
