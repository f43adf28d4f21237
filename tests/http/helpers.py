"""Small helpers shared by the HTTP tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server import auth

TENANT = "acme"
HEADERS = auth([TENANT])


def stream_url(base: str, stream: str, tenant: str = TENANT) -> str:
    return f"{base}/api/v1/tenants/{tenant}/streams/{stream}"


async def publish(
    client: httpx.AsyncClient, base: str, stream: str, *datas: Any, kind: str = "metric"
) -> list[str]:
    """Publish one event per ``datas`` item in one batch; return their cursors."""
    body = {"events": [{"type": kind, "data": data} for data in datas]}
    response = await client.post(f"{stream_url(base, stream)}/events", json=body, headers=HEADERS)
    assert response.status_code == 201, response.text
    ids: list[str] = response.json()["ids"]
    return ids


async def head(client: httpx.AsyncClient, base: str, stream: str) -> str:
    response = await client.get(f"{stream_url(base, stream)}/history?limit=1", headers=HEADERS)
    assert response.status_code == 200, response.text
    cursor: str = response.json()["head"]
    return cursor
