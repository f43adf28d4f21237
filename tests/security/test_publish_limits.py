"""Publish limits: a fleet-wide token bucket per tenant (429), and size limits (413/422).

A bucket refilling at 0.001 event/s is, for a test, a bucket that does not refill: counts alone
decide every answer. Refilling is shown with a fast bucket and a bounded wait.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
import redis

from infra.settings import TenantLimits
from tests.security.credentials import bearer, mint
from tests.security.streams import refusal
from tests.server import RunningServer

pytestmark = pytest.mark.anyio

HEADERS = bearer(mint(["acme", "beta", "big"]))
FROZEN = {"publish_rate_per_second": 0.001, "publish_burst": 5}


def _url(server: RunningServer, tenant: str = "acme", stream: str = "m") -> str:
    return f"{server.url}/api/v1/tenants/{tenant}/streams/{stream}/events"


async def _publish(
    server: RunningServer, events: int, tenant: str = "acme", stream: str = "m"
) -> httpx.Response:
    body = {"events": [{"data": n} for n in range(events)]}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(_url(server, tenant, stream), json=body, headers=HEADERS)


def _xlen(sync_redis: redis.Redis, prefix: str, tenant: str = "acme", stream: str = "m") -> int:
    return int(sync_redis.xlen(f"{prefix}:{{{tenant}}}:s:{stream}"))


async def test_a_batch_costs_one_token_per_event(
    make_server: Any, sync_redis: redis.Redis, prefix: str
) -> None:
    with make_server(**FROZEN) as server:
        statuses = [(await _publish(server, n)).status_code for n in (3, 3, 2)]
        refused = await _publish(server, 1)
    assert statuses == [201, 429, 201]
    status, code, retry_after = refusal(refused)
    assert (status, code) == (429, "publish_rate")
    assert retry_after >= 1
    assert _xlen(sync_redis, prefix) == 5


async def test_a_batch_over_the_burst_allowance_can_never_pass(
    make_server: Any, sync_redis: redis.Redis, prefix: str
) -> None:
    with make_server(**FROZEN) as server:
        response = await _publish(server, 6)
        after = await _publish(server, 5)
    assert (response.status_code, response.json()["error"]) == (413, "batch_over_burst")
    assert after.status_code == 201
    assert _xlen(sync_redis, prefix) == 5


async def test_two_instances_spend_from_one_bucket(make_server: Any) -> None:
    with make_server(**FROZEN) as one, make_server(**FROZEN) as two:
        first = await _publish(one, 3)
        second = await _publish(two, 2, stream="other")
        third = await _publish(one, 1)
        fourth = await _publish(two, 1)
    assert [r.status_code for r in (first, second, third, fourth)] == [201, 201, 429, 429]


async def test_each_tenant_has_its_own_bucket_and_overrides(make_server: Any) -> None:
    overrides = {"big": TenantLimits(publish_burst=8)}
    with make_server(**FROZEN, tenant_limits=overrides) as server:
        acme = [(await _publish(server, 5, "acme")).status_code for _ in range(2)]
        beta = [(await _publish(server, 5, "beta")).status_code for _ in range(2)]
        big = [(await _publish(server, 4, "big")).status_code for _ in range(3)]
    assert acme == beta == [201, 429]
    assert big == [201, 201, 429]


async def test_the_bucket_refills(make_server: Any) -> None:
    """Spent at once, then spendable again later: the bucket refills on Redis' clock."""
    with make_server(publish_rate_per_second=50, publish_burst=1) as server:
        assert (await _publish(server, 1)).status_code == 201
        with anyio.fail_after(10):
            while (await _publish(server, 1)).status_code != 201:  # noqa: ASYNC110
                await anyio.sleep(0.01)


def _events(count: int, size: int = 1) -> bytes:
    return json.dumps({"events": [{"data": "x" * size}] * count}).encode()


async def _chunked(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 1024):
        yield body[start : start + 1024]


@pytest.mark.parametrize(
    ("body", "chunked", "status", "code"),
    [
        (_events(1, 40_000), False, 413, "payload_too_large"),
        (_events(1, 40_000), True, 413, "payload_too_large"),
        (_events(501), False, 422, "invalid_body"),
        (_events(0), False, 422, "invalid_body"),
        (_events(1, 64 * 1024), False, 413, "payload_too_large"),
    ],
    ids=[
        "body-over-limit",
        "chunked-body-over-limit",
        "batch-over-500",
        "empty-batch",
        "event-64k",
    ],
)
async def test_size_limits(
    make_server: Any,
    sync_redis: redis.Redis,
    prefix: str,
    body: bytes,
    chunked: bool,
    status: int,
    code: str,
) -> None:
    with make_server(max_body_bytes=32 * 1024) as server:
        content: Any = _chunked(body) if chunked else body
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                _url(server),
                content=content,
                headers={**HEADERS, "Content-Type": "application/json"},
            )
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert _xlen(sync_redis, prefix) == 0


async def test_event_data_limit_within_the_body_limit(
    server: RunningServer, sync_redis: redis.Redis, prefix: str
) -> None:
    body = {"events": [{"data": 1}, {"data": "y" * (64 * 1024)}]}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(_url(server), json=body, headers=HEADERS)
    assert (response.status_code, response.json()["error"]) == (413, "event_too_large")
    assert _xlen(sync_redis, prefix) == 0
