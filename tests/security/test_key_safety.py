"""Names that could reach into another tenant's keys are refused before any Redis call.

The server under test has no reachable Redis: a refused name answers ``400`` (or ``404`` when
it is not even a path segment), where a name that got as far as the store would answer
``503``. So every ``400`` here is proof that no Redis call was made.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from core.errors import InvalidInput
from infra.keys import Keys, Kind
from tests.security.credentials import bearer, mint
from tests.server import RunningServer, serve, settings_for

pytestmark = pytest.mark.anyio

HEADERS = bearer(mint(["acme"]))

BAD_TENANTS = {
    "hash-tag": "{acme}",
    "closing-brace": "acme}",
    "colon": "acme:s",
    "star": "acme*",
    "dots": "acme..x",
    "upper-case": "Acme",
    "all-caps": "ACME",
    "non-ascii": "acmé",
    "fullwidth": "\uff41cme",
    "kelvin-sign": "\u212acme",
    "overlong": "a" * 64,
    "leading-dash": "-acme",
    "space": "ac me",
    "nul": "acme\x00",
    "newline": "acme\n",
    "underscore": "ac_me",
}
BAD_STREAMS = {
    "hash-tag": "{m}",
    "colon": "m:x",
    "star": "m*",
    "dot-dot": "a..b",
    "leading-dot": ".m",
    "upper-case": "M",
    "non-ascii": "mé",
    "overlong": "m" * 129,
    "leading-dash": "-m",
    "space": "m x",
    "nul": "m\x00",
    "question": "m?x",
}
UNROUTABLE = {"empty": "", "slash": "a/b"}


@pytest.fixture(scope="module")
def storeless() -> Iterator[RunningServer]:
    """A server whose Redis does not exist (port 1)."""
    settings = settings_for("redis://127.0.0.1:1/0", "nostore", redis_timeout_seconds=0.5)
    with serve(settings) as running:
        yield running


async def _send(server: RunningServer, method: str, path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.request(
            method, f"{server.url}/api/v1/tenants/{path}", headers=HEADERS, json=body
        )


def _q(name: str) -> str:
    return quote(name, safe="")


ROUTES = {
    "publish": ("POST", "{t}/streams/{s}/events", {"events": [{"data": 1}]}),
    "subscribe": ("GET", "{t}/streams/{s}/events?max_seconds=0.1", None),
    "history": ("GET", "{t}/streams/{s}/history", None),
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", BAD_TENANTS.values(), ids=BAD_TENANTS.keys())
async def test_bad_tenant_names_are_400_without_redis(
    storeless: RunningServer, route: str, name: str
) -> None:
    method, path, body = ROUTES[route]
    response = await _send(storeless, method, path.format(t=_q(name), s="m"), body)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_tenant")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", BAD_STREAMS.values(), ids=BAD_STREAMS.keys())
async def test_bad_stream_names_are_400_without_redis(
    storeless: RunningServer, route: str, name: str
) -> None:
    method, path, body = ROUTES[route]
    response = await _send(storeless, method, path.format(t="acme", s=_q(name)), body)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_stream")


@pytest.mark.parametrize("name", BAD_TENANTS.values(), ids=BAD_TENANTS.keys())
async def test_tickets_refuse_bad_tenant_names(storeless: RunningServer, name: str) -> None:
    response = await _send(storeless, "POST", f"{_q(name)}/tickets", {"streams": ["m"]})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_tenant")


@pytest.mark.parametrize("name", BAD_STREAMS.values(), ids=BAD_STREAMS.keys())
async def test_tickets_refuse_bad_stream_names(storeless: RunningServer, name: str) -> None:
    response = await _send(storeless, "POST", "acme/tickets", {"streams": ["m", name]})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_stream")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", UNROUTABLE.values(), ids=UNROUTABLE.keys())
async def test_names_that_are_no_path_segment_match_no_route(
    storeless: RunningServer, route: str, name: str
) -> None:
    method, path, body = ROUTES[route]
    for tenant, stream in ((name, "m"), ("acme", name)):
        response = await _send(storeless, method, path.format(t=tenant, s=stream), body)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize("route", ROUTES)
async def test_a_good_name_does_reach_the_store(storeless: RunningServer, route: str) -> None:
    """The control: the same requests with good names get as far as the (missing) store."""
    method, path, body = ROUTES[route]
    response = await _send(storeless, method, path.format(t="acme", s="m"), body)
    assert (response.status_code, response.json()["error"]) == (503, "store_unavailable")


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("name", BAD_TENANTS.values(), ids=BAD_TENANTS.keys())
def test_the_key_builder_refuses_bad_tenants(kind: Kind, name: str) -> None:
    with pytest.raises(InvalidInput):
        Keys("bs").of(kind, name, "m")


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("name", BAD_STREAMS.values(), ids=BAD_STREAMS.keys())
def test_the_key_builder_refuses_bad_streams(kind: Kind, name: str) -> None:
    with pytest.raises(InvalidInput):
        Keys("bs").of(kind, "acme", name)


def test_every_tenant_key_carries_the_tenant_hash_tag() -> None:
    keys = Keys("bs")
    for kind in Kind:
        assert keys.of(kind, "acme", "m").startswith("bs:{acme}:")
