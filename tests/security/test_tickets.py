"""EventSource tickets: issued for a bearer token, narrower than it, subscribe-only, short-lived."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from infra.tokens import TICKET_AUDIENCE
from tests.http.sse_client import burst
from tests.security.credentials import bearer, claims_of, issue_ticket, mint
from tests.server import RunningServer

pytestmark = pytest.mark.anyio


def _stream(server: RunningServer, stream: str, what: str, tenant: str = "acme") -> str:
    return f"{server.url}/api/v1/tenants/{tenant}/streams/{stream}/{what}"


async def _publish(client: httpx.AsyncClient, server: RunningServer, stream: str, n: int) -> str:
    response = await client.post(
        _stream(server, stream, "events"),
        json={"events": [{"type": "metric", "data": {"n": n}}]},
        headers=bearer(mint()),
    )
    assert response.status_code == 201
    cursor: str = response.json()["ids"][0]
    return cursor


async def _ticket(client: httpx.AsyncClient, server: RunningServer, **body: Any) -> dict[str, Any]:
    response = await issue_ticket(client, server.url, "acme", body, body.pop("token", None))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_browser_follows_a_stream_with_a_ticket(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        issued = await _ticket(client, server, streams=["m"])
        ids = [await _publish(client, server, "m", n) for n in range(2)]
        params = {"ticket": issued["ticket"], "cursor": "earliest", "max_seconds": 0.3}
        sse = await burst(client, _stream(server, "m", "events"), {}, params=params)
        history = await client.get(
            _stream(server, "m", "history"), params={"ticket": issued["ticket"]}
        )
    assert set(issued) == {"ticket", "expires_at", "ttl_seconds"}
    assert issued["ttl_seconds"] == 300
    assert issued["expires_at"].endswith("Z")
    assert [event.id for event in sse.data_events] == ids
    assert [event["id"] for event in history.json()["events"]] == ids


async def test_a_ticket_is_bound_to_one_tenant_and_its_listed_streams(
    server: RunningServer,
) -> None:
    token = mint(["acme", "beta"], streams=["metrics.*"])
    async with httpx.AsyncClient(timeout=10) as client:
        issued = await _ticket(client, server, streams=["metrics.cpu", "metrics.cpu"], token=token)
        params = {"ticket": issued["ticket"]}
        same = await client.get(_stream(server, "metrics.cpu", "history"), params=params)
        sibling = await client.get(_stream(server, "metrics.mem", "history"), params=params)
        other_tenant = await client.get(
            _stream(server, "metrics.cpu", "history", tenant="beta"), params=params
        )
    claims = claims_of(issued["ticket"])
    assert claims["tenant"] == "acme"
    assert claims["streams"] == ["metrics.cpu"]
    assert claims["scope"] == "subscribe"
    assert claims["sub"] == "alice"
    assert claims["aud"] == TICKET_AUDIENCE
    assert same.status_code == 200
    assert (sibling.status_code, sibling.json()["error"]) == (403, "stream_forbidden")
    assert (other_tenant.status_code, other_tenant.json()["error"]) == (403, "tenant_forbidden")


@pytest.mark.parametrize(
    ("token_streams", "asked", "status", "code"),
    [
        (["metrics.*"], ["metrics.cpu", "alerts"], 403, "stream_forbidden"),
        (["metrics.*"], ["metrics.cpu"], 201, None),
        (["a", "b"], ["a", "b"], 201, None),
        ([], ["a"], 403, "stream_forbidden"),
        (None, ["anything", "at-all"], 201, None),
    ],
    ids=["one-outside", "inside-pattern", "exact-names", "no-streams", "unrestricted"],
)
async def test_a_ticket_never_grants_more_than_its_token(
    server: RunningServer,
    token_streams: list[str] | None,
    asked: list[str],
    status: int,
    code: str | None,
) -> None:
    token = mint(streams=token_streams)
    async with httpx.AsyncClient(timeout=10) as client:
        response = await issue_ticket(client, server.url, "acme", {"streams": asked}, token)
    assert response.status_code == status
    if code is not None:
        assert response.json()["error"] == code


@pytest.mark.parametrize(
    ("asked", "token_ttl", "low", "high"),
    [(600, 3600, 30, 30), (10, 3600, 10, 10), (None, 3600, 30, 30), (None, 20, 1, 20)],
    ids=["capped-by-maximum", "as-asked", "default-is-maximum", "capped-by-token"],
)
async def test_a_tickets_life(
    make_server: Any, asked: int | None, token_ttl: int, low: int, high: int
) -> None:
    body: dict[str, Any] = {"streams": ["m"]}
    if asked is not None:
        body["ttl_seconds"] = asked
    with make_server(ticket_max_ttl_seconds=30) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await issue_ticket(client, server.url, "acme", body, mint(ttl=token_ttl))
    ttl = response.json()["ttl_seconds"]
    assert low <= ttl <= high
    claims = claims_of(response.json()["ticket"])
    assert claims["exp"] - claims["iat"] == ttl


async def test_an_issued_ticket_expires(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        issued = await _ticket(client, server, streams=["m"], ttl_seconds=1)
        url, params = _stream(server, "m", "history"), {"ticket": issued["ticket"]}
        assert (await client.get(url, params=params)).status_code == 200
        with anyio.fail_after(10):
            while (response := await client.get(url, params=params)).status_code == 200:  # noqa: ASYNC110
                await anyio.sleep(0.1)
    assert (response.status_code, response.json()["error"]) == (401, "ticket_expired")


async def test_a_tampered_ticket_is_refused(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        issued = await _ticket(client, server, streams=["m"])
        header, payload, signature = issued["ticket"].split(".")
        forged_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
        forged = f"{header}.{forged_payload}.{signature}"
        response = await client.get(_stream(server, "m", "history"), params={"ticket": forged})
    assert response.status_code == 401
    assert response.json()["error"] in {"ticket_bad_signature", "invalid_ticket"}


async def test_renewing_a_ticket_between_bursts_misses_nothing(server: RunningServer) -> None:
    """The README's recipe (Security model): at burst-end, fetch a new ticket and reconnect
    with ``cursor=`` set to the last ``id:`` seen (a new EventSource sends no Last-Event-ID)."""
    url = _stream(server, "renew", "events")
    async with httpx.AsyncClient(timeout=10) as client:
        first = await _ticket(client, server, streams=["renew"])
        before = await _publish(client, server, "renew", 0)
        one = await burst(
            client,
            url,
            {},
            params={"ticket": first["ticket"], "cursor": "earliest", "max_seconds": 0.2},
        )
        missed = [await _publish(client, server, "renew", n) for n in (1, 2)]
        second = await _ticket(client, server, streams=["renew"])
        params = {"ticket": second["ticket"], "cursor": one.end["cursor"], "max_seconds": 0.2}
        two = await burst(client, url, {}, params=params)
    assert [event.id for event in one.data_events] == [before]
    assert [event.id for event in two.data_events] == missed


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{}", "invalid_body"),
        (b'{"streams": []}', "invalid_body"),
        (b'{"streams": "m"}', "invalid_body"),
        (b'{"streams": [1]}', "invalid_body"),
        (b'{"streams": ["m"], "ttl_seconds": 0}', "invalid_body"),
        (b'{"streams": ["m"], "ttl_seconds": 1.5}', "invalid_body"),
        (b'{"streams": ["m"], "tenant": "beta"}', "invalid_body"),
        (b'{"streams": [' + b",".join(b'"s%d"' % n for n in range(17)) + b"]}", "invalid_body"),
        (b"{", "invalid_json"),
        (b"", "invalid_json"),
    ],
    ids=[
        "no-streams",
        "empty-streams",
        "streams-not-a-list",
        "stream-not-a-string",
        "zero-ttl",
        "fractional-ttl",
        "unknown-field",
        "17-streams",
        "truncated",
        "empty",
    ],
)
async def test_bad_ticket_requests_are_422(server: RunningServer, body: bytes, code: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{server.url}/api/v1/tenants/acme/tickets",
            content=body,
            headers={**bearer(mint()), "Content-Type": "application/json"},
        )
    assert (response.status_code, response.json()["error"]) == (422, code)


async def test_an_anonymous_caller_learns_nothing_but_401(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{server.url}/api/v1/tenants/Not-A-Tenant/tickets", content=b"{garbage"
        )
    assert (response.status_code, response.json()["error"]) == (401, "missing_credentials")
