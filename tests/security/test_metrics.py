"""What a security team watches: refusals by reason, leases refused, open bursts; exposed on
a token-protected metrics endpoint and in the ``burstream.security`` log."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.security.credentials import bearer, mint, signed_ticket, unsigned
from tests.security.streams import hold
from tests.server import RunningServer
from tests.waiting import until

pytestmark = pytest.mark.anyio

METRICS_TOKEN = "metrics-token-for-the-security-tests"
SCRAPER = bearer(METRICS_TOKEN)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _scrape(server: RunningServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{server.url}/api/v1/metrics", headers=SCRAPER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


def _refusals(status: str, reason: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return ("burstream_auth_refusals_total", (("reason", reason), ("status", status)))


def _open(tenant: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return ("burstream_open_bursts", (("tenant", tenant),))


async def test_refusals_leases_and_open_bursts_are_counted(make_server: Any) -> None:
    settings = {
        "metrics_token": METRICS_TOKEN,
        "max_connections_per_tenant": 1,
        "publish_rate_per_second": 0.001,
        "publish_burst": 1,
    }
    with make_server(**settings) as server:
        base = f"{server.url}/api/v1/tenants"
        async with httpx.AsyncClient(timeout=10) as client:
            await client.get(f"{base}/acme/streams/m/history", headers=bearer(mint(ttl=-60)))
            await client.get(f"{base}/acme/streams/m/history", headers=bearer(unsigned()))
            for _ in range(2):
                await client.get(f"{base}/globex/streams/m/history", headers=bearer(mint()))
            held = await hold(client, f"{base}/acme/streams/m/events", bearer(mint()))
            refused = await hold(client, f"{base}/acme/streams/m/events", bearer(mint()))
            for _ in range(2):
                await client.post(
                    f"{base}/acme/streams/m/events",
                    json={"events": [{"data": 1}]},
                    headers=bearer(mint()),
                )
            during = await _scrape(server)
            await refused.close()
            await held.close()
            await until(lambda: server.services.hub.listeners == 0)
        after = await _scrape(server)
    assert during[_refusals("401", "token_expired")] == 1
    assert during[_refusals("401", "token_algorithm_refused")] == 1
    assert during[_refusals("403", "tenant_forbidden")] == 2
    leases = (
        "burstream_leases_refused_total",
        (("limit", "tenant_connections"), ("tenant", "acme")),
    )
    assert during[leases] == 1
    assert during[("burstream_publish_throttled_total", (("tenant", "acme"),))] == 1
    assert during[_open("acme")] == 1
    assert _open("acme") not in after


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "metrics_token"),
        (bearer("wrong"), 401, "metrics_token"),
        (bearer(mint()), 401, "metrics_token"),
        (SCRAPER, 200, None),
    ],
    ids=["no-token", "wrong-token", "api-token", "metrics-token"],
)
async def test_the_metrics_endpoint_needs_the_metrics_token(
    make_server: Any, headers: dict[str, str], status: int, code: str | None
) -> None:
    with make_server(metrics_token=METRICS_TOKEN) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{server.url}/api/v1/metrics", headers=headers)
    assert response.status_code == status
    if code is not None:
        assert response.json()["error"] == code


async def test_without_a_metrics_token_there_is_no_metrics_endpoint(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{server.url}/api/v1/metrics", headers=SCRAPER)
        schema = await client.get(f"{server.url}/api/v1/schema/openapi.json")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert "/api/v1/metrics" not in schema.json()["paths"]


async def test_refusals_are_logged_without_the_query(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = signed_ticket("acme", ["m"], expires_in=-1)
    with caplog.at_level(logging.INFO, logger="burstream.security"):
        async with httpx.AsyncClient(timeout=10) as client:
            await client.get(
                f"{server.url}/api/v1/tenants/acme/streams/m/history", params={"ticket": ticket}
            )
            await client.get(
                f"{server.url}/api/v1/tenants/globex/streams/m/history", headers=bearer(mint())
            )
    lines = [r.getMessage() for r in caplog.records if r.name == "burstream.security"]
    assert len(lines) == 2
    assert lines[0].startswith("auth_refused status=401 reason=ticket_expired method=GET")
    assert "path='/api/v1/tenants/acme/streams/m/history'" in lines[0]
    assert lines[1].startswith("auth_refused status=403 reason=tenant_forbidden")
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert all(ticket not in r.getMessage() for r in server_side)
