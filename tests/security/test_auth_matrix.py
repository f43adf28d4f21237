"""Every endpoint against every way a credential can be wrong, with the exact answer each gets.

Bearer tokens arrive in ``Authorization``; tickets as ``?ticket=``. ``401`` is for credentials
that are missing or do not verify, ``403`` for valid credentials used beyond their grant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.security.credentials import (
    OTHER_SECRET,
    bearer,
    mint,
    signed_ticket,
    unsigned,
)
from tests.server import RunningServer

pytestmark = pytest.mark.anyio

TENANT, STREAM = "acme", "m"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    scope: str
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None


ENDPOINTS = {
    "publish": Endpoint(
        "POST", f"streams/{STREAM}/events", "publish", body={"events": [{"data": 1}]}
    ),
    "subscribe": Endpoint(
        "GET", f"streams/{STREAM}/events", "subscribe", params={"max_seconds": 0.2}
    ),
    "history": Endpoint("GET", f"streams/{STREAM}/history", "subscribe"),
    "tickets": Endpoint("POST", "tickets", "subscribe", body={"streams": [STREAM]}),
}

Credential = Callable[[Endpoint], tuple[dict[str, str], dict[str, str]]]


def _other_scope(endpoint: Endpoint) -> str:
    return "subscribe" if endpoint.scope == "publish" else "publish"


CREDENTIALS: dict[str, Credential] = {
    "valid": lambda e: (bearer(mint()), {}),
    "no-token": lambda e: ({}, {}),
    "bad-signature": lambda e: (bearer(mint(secret=OTHER_SECRET)), {}),
    "expired": lambda e: (bearer(mint(ttl=-60)), {}),
    "alg-none": lambda e: (bearer(unsigned()), {}),
    "wrong-algorithm": lambda e: (bearer(mint(algorithm="HS384")), {}),
    "wrong-tenant": lambda e: (bearer(mint(["other"])), {}),
    "wrong-scope": lambda e: (bearer(mint(scopes=[_other_scope(e)])), {}),
    "stream-outside-streams": lambda e: (bearer(mint(streams=["other-*", "n"])), {}),
    "ticket-for-another-stream": lambda e: ({}, {"ticket": signed_ticket(TENANT, ["n"])}),
    "expired-ticket": lambda e: ({}, {"ticket": signed_ticket(TENANT, [STREAM], expires_in=-1)}),
    "ticket-for-this-stream": lambda e: ({}, {"ticket": signed_ticket(TENANT, [STREAM])}),
    "ticket-as-bearer": lambda e: (bearer(signed_ticket(TENANT, [STREAM])), {}),
    "bearer-as-ticket": lambda e: ({}, {"ticket": mint()}),
    "bearer-and-ticket": lambda e: (bearer(mint()), {"ticket": signed_ticket(TENANT, [STREAM])}),
}

OK = {"publish": (201, None), "subscribe": (200, None), "history": (200, None)}
TICKET_REFUSED = {
    "publish": (403, "scope_forbidden"),
    "subscribe": (403, "stream_forbidden"),
    "history": (403, "stream_forbidden"),
    "tickets": (403, "ticket_forbidden"),
}
EXPECTED: dict[str, dict[str, tuple[int, str | None]]] = {
    "valid": {**OK, "tickets": (201, None)},
    "no-token": dict.fromkeys(ENDPOINTS, (401, "missing_credentials")),
    "bad-signature": dict.fromkeys(ENDPOINTS, (401, "token_bad_signature")),
    "expired": dict.fromkeys(ENDPOINTS, (401, "token_expired")),
    "alg-none": dict.fromkeys(ENDPOINTS, (401, "token_algorithm_refused")),
    "wrong-algorithm": dict.fromkeys(ENDPOINTS, (401, "token_algorithm_refused")),
    "wrong-tenant": dict.fromkeys(ENDPOINTS, (403, "tenant_forbidden")),
    "wrong-scope": dict.fromkeys(ENDPOINTS, (403, "scope_forbidden")),
    "stream-outside-streams": dict.fromkeys(ENDPOINTS, (403, "stream_forbidden")),
    "ticket-for-another-stream": TICKET_REFUSED,
    "expired-ticket": dict.fromkeys(ENDPOINTS, (401, "ticket_expired")),
    "ticket-for-this-stream": {
        **OK,
        "publish": (403, "scope_forbidden"),
        "tickets": (403, "ticket_forbidden"),
    },
    "ticket-as-bearer": dict.fromkeys(ENDPOINTS, (401, "token_bad_signature")),
    "bearer-as-ticket": dict.fromkeys(ENDPOINTS, (401, "ticket_bad_signature")),
    "bearer-and-ticket": dict.fromkeys(ENDPOINTS, (401, "ambiguous_credentials")),
}

MATRIX = [
    pytest.param(
        endpoint, credential, *EXPECTED[credential][endpoint], id=f"{endpoint}-{credential}"
    )
    for credential in CREDENTIALS
    for endpoint in ENDPOINTS
]


async def _call(
    server: RunningServer, endpoint: Endpoint, credential: Credential
) -> httpx.Response:
    headers, params = credential(endpoint)
    url = f"{server.url}/api/v1/tenants/{TENANT}/{endpoint.path}"
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.request(
            endpoint.method,
            url,
            headers=headers,
            params={**(endpoint.params or {}), **params},
            json=endpoint.body,
        )


def test_the_matrix_covers_every_endpoint_and_credential() -> None:
    assert len(MATRIX) == len(ENDPOINTS) * len(CREDENTIALS)
    assert all(set(row) == set(ENDPOINTS) for row in EXPECTED.values())


@pytest.mark.parametrize(("endpoint", "credential", "status", "code"), MATRIX)
async def test_auth_matrix(
    module_server: RunningServer, endpoint: str, credential: str, status: int, code: str | None
) -> None:
    response = await _call(module_server, ENDPOINTS[endpoint], CREDENTIALS[credential])
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"] == code
        assert response.headers["content-type"].startswith("application/json")
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    if endpoint == "subscribe" and status == 200:
        assert response.headers["content-type"].startswith("text/event-stream")
