"""Service-level behaviour: health, the open OpenAPI schema, unknown routes, the embedded store,
a store that is down or hung (503, never a hang), CORS for dashboards on another origin."""

from __future__ import annotations

import socket
import threading
from typing import Any

import httpx
import pytest

from tests.http.helpers import HEADERS, publish, stream_url
from tests.http.sse_client import burst
from tests.server import RunningServer, serve, settings_for

pytestmark = pytest.mark.anyio


async def test_health_and_schema_need_no_credentials(server: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        health = await client.get(f"{server.url}/api/v1/health")
        schema = await client.get(f"{server.url}/api/v1/schema/openapi.json")
        unknown = await client.get(f"{server.url}/api/v1/nothing-here")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["store"] == "redis"
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths) == {
        "/api/v1/health",
        "/api/v1/tenants/{tenant}/streams/{stream}/events",
        "/api/v1/tenants/{tenant}/streams/{stream}/history",
        "/api/v1/tenants/{tenant}/tickets",
    }
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
    history = paths["/api/v1/tenants/{tenant}/streams/{stream}/history"]["get"]
    assert sorted(history["responses"]) == ["200", "400", "401", "403", "410", "429", "503"]
    error_schema = {"$ref": "#/components/schemas/ErrorBody"}
    assert history["responses"]["410"]["content"]["application/json"]["schema"] == error_schema
    assert history["security"] == [{"bearer": []}, {"ticket": []}]
    assert set(schema.json()["components"]["securitySchemes"]) == {"bearer", "ticket"}


async def test_embedded_store_serves_the_same_api(prefix: str) -> None:
    with serve(settings_for(None, prefix)) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            health = await client.get(f"{server.url}/api/v1/health")
            ids = await publish(client, server.url, "emb", {"a": 1})
            url = f"{stream_url(server.url, 'emb')}/events"
            result = await burst(
                client, url, HEADERS, params={"cursor": "earliest", "max_seconds": 0.3}
            )
    assert health.json()["store"] == "embedded"
    assert [e.id for e in result.data_events] == ids


async def test_store_down_is_503_with_retry_after(prefix: str) -> None:
    settings = settings_for("redis://127.0.0.1:1/0", prefix, redis_timeout_seconds=0.5)
    with serve(settings) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            health = await client.get(f"{server.url}/api/v1/health")
            base = stream_url(server.url, "down")
            published = await client.post(
                f"{base}/events", json={"events": [{"data": 1}]}, headers=HEADERS
            )
            sse = await client.get(f"{base}/events", headers=HEADERS)
            history = await client.get(f"{base}/history", headers=HEADERS)
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    for response in (published, sse, history):
        assert response.status_code == 503
        assert response.json()["error"] == "store_unavailable"
        assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        ("https://dash.example", "https://dash.example", "https://dash.example"),
        ("*", "https://any.example", "*"),
        ("https://dash.example", "https://evil.example", None),
    ],
    ids=["listed-origin", "any-origin", "other-origin"],
)
async def test_cors_for_dashboards_on_another_origin(
    make_server: Any, origins: str, origin: str, allowed: str | None
) -> None:
    with make_server(cors_origins=tuple(origins.split(","))) as server:
        base = stream_url(server.url, "cors")
        async with httpx.AsyncClient(timeout=10) as client:
            preflight = await client.options(
                f"{base}/events",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            sse = await client.get(
                f"{base}/events",
                params={"max_seconds": 0.1},
                headers={**HEADERS, "Origin": origin},
            )
    assert sse.headers.get("access-control-allow-origin") == allowed
    if allowed:
        assert preflight.status_code in (200, 204)
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


class _SilentServer:
    """A TCP server that accepts connections and answers ``reply`` (or nothing: a hung Redis)."""

    def __init__(self, reply: bytes = b"") -> None:
        self.accepted = 0
        self._reply = reply
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self._sock.getsockname()[1]}/0"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)
            if self._reply:
                conn.sendall(self._reply)

    def close(self) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()


async def test_hung_store_fails_fast_after_the_first_timeout(prefix: str) -> None:
    silent = _SilentServer()
    try:
        settings = settings_for(silent.url, prefix, redis_timeout_seconds=0.3)
        with serve(settings) as server:
            url = f"{stream_url(server.url, 'hung')}/history"
            async with httpx.AsyncClient(timeout=10) as client:
                first = await client.get(url, headers=HEADERS)
                second = await client.get(url, headers=HEADERS)
    finally:
        silent.close()
    assert first.status_code == second.status_code == 503
    assert silent.accepted == 1


async def test_a_port_that_does_not_speak_redis_is_503(prefix: str) -> None:
    proxy = _SilentServer(reply=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    try:
        with serve(settings_for(proxy.url, prefix, redis_timeout_seconds=0.3)) as server:
            async with httpx.AsyncClient(timeout=10) as client:
                health = await client.get(f"{server.url}/api/v1/health")
                url = f"{stream_url(server.url, 'proxy')}/history"
                history = await client.get(url, headers=HEADERS)
    finally:
        proxy.close()
    assert health.status_code == 503
    assert history.status_code == 503
    assert history.json()["error"] == "store_unavailable"
