"""Publishing through the real app: answers, idempotency, and bad input that appends nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import redis

from tests.http.helpers import HEADERS, stream_url
from tests.server import RunningServer, auth

pytestmark = pytest.mark.anyio

CURSOR = re.compile(r"^\d+-\d+\.[a-z0-9]+$")


def _xlen(sync_redis: redis.Redis, prefix: str, stream: str) -> int:
    return int(sync_redis.xlen(f"{prefix}:{{acme}}:s:{stream}"))


async def _post(server: RunningServer, stream: str, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{stream_url(server.url, stream)}/events",
            content=content,
            headers={**HEADERS, "Content-Type": "application/json", **headers},
        )


async def test_publish_answers_cursors_and_head(server: RunningServer) -> None:
    response = await _post(server, "pub", {"events": [{"type": "a", "data": 1}, {"data": None}]})
    assert response.status_code == 201
    body = response.json()
    assert len(body["ids"]) == 2
    assert all(CURSOR.match(cursor) for cursor in body["ids"])
    assert body["head"] == body["ids"][-1]


async def test_idempotency_key_replays_the_first_answer(
    server: RunningServer, sync_redis: redis.Redis, prefix: str
) -> None:
    body = {"events": [{"data": {"n": 1}}, {"data": {"n": 2}}]}
    first = await _post(server, "idem", body, **{"Idempotency-Key": "k-1"})
    again = await _post(server, "idem", body, **{"Idempotency-Key": "k-1"})
    other = await _post(server, "idem", body, **{"Idempotency-Key": "k-2"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert again.json() == first.json()
    assert other.json()["ids"] != first.json()["ids"]
    assert _xlen(sync_redis, prefix, "idem") == 4


async def test_idempotency_key_reused_with_another_body_is_refused(
    server: RunningServer, sync_redis: redis.Redis, prefix: str
) -> None:
    await _post(server, "idem2", {"events": [{"data": 1}]}, **{"Idempotency-Key": "k"})
    reused = await _post(server, "idem2", {"events": [{"data": 2}]}, **{"Idempotency-Key": "k"})
    assert reused.status_code == 422
    assert reused.json()["error"] == "idempotency_key_reused"
    assert _xlen(sync_redis, prefix, "idem2") == 1


BIG = "x" * (64 * 1024)

BAD_BODIES = [
    (b"", 422, "invalid_json"),
    (b"{", 422, "invalid_json"),
    (b"[]", 422, "invalid_body"),
    (b'{"events": []}', 422, "invalid_body"),
    (b'{"events": [{}]}', 422, "invalid_body"),
    (b'{"events": [{"data": 1, "extra": 2}]}', 422, "invalid_body"),
    (b'{"events": [{"data": 1, "type": "has space"}]}', 422, "invalid_body"),
    (b'{"events": [{"data": 1, "type": ""}]}', 422, "invalid_body"),
    (b'{"events": [{"data": 1, "type": 7}]}', 422, "invalid_body"),
    (b'{"events": [{"data": 1}, {"data": 2, "type": "reset"}]}', 422, "reserved_type"),
    (json.dumps({"events": [{"data": 1}] * 501}).encode(), 422, "invalid_body"),
    (json.dumps({"events": [{"data": 1}, {"data": BIG}]}).encode(), 413, "event_too_large"),
    (b"\xff\xfe", 422, "invalid_json"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    BAD_BODIES,
    ids=[
        "empty",
        "truncated",
        "array",
        "no-events",
        "no-data",
        "unknown-field",
        "bad-type",
        "empty-type",
        "numeric-type",
        "reserved-type",
        "501-events",
        "data-over-64k",
        "not-utf8",
    ],
)
async def test_bad_bodies_append_nothing(
    server: RunningServer,
    sync_redis: redis.Redis,
    prefix: str,
    body: bytes,
    status: int,
    code: str,
) -> None:
    response = await _post(server, "bad", body)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert _xlen(sync_redis, prefix, "bad") == 0


async def test_error_names_the_field(server: RunningServer) -> None:
    body = {"events": [{"data": 1}, {"data": 2}, {"data": 3}, {"data": 4, "type": "a b"}]}
    response = await _post(server, "field", body)
    assert "$.events[3].type" in response.json()["detail"]


async def test_body_over_the_limit_is_413(make_server: Any) -> None:
    with make_server(max_body_bytes=2048) as server:
        response = await _post(server, "huge", {"events": [{"data": "y" * 4096}]})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Authorization": ""}, 401, "missing_credentials"),
        ({"Authorization": "Basic abc"}, 401, "invalid_credentials"),
        ({"Authorization": "Bearer not-a-jwt"}, 401, "invalid_token"),
        (auth(["acme"], "subscribe"), 403, "scope_forbidden"),
        (auth(["other"]), 403, "tenant_forbidden"),
        ({"Idempotency-Key": ""}, 400, "invalid_request"),
    ],
    ids=["no-token", "basic", "garbage-token", "subscribe-only", "other-tenant", "empty-key"],
)
async def test_publish_refusals(
    server: RunningServer, headers: dict[str, str], status: int, code: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        merged = {**HEADERS, **headers}
        merged = {k: v for k, v in merged.items() if v or k == "Idempotency-Key"}
        response = await client.post(
            f"{stream_url(server.url, 'refused')}/events",
            json={"events": [{"data": 1}]},
            headers=merged,
        )
    assert response.status_code == status
    assert response.json()["error"] == code
