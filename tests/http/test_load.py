"""The seed's risks, as counts: many clients share a handful of Redis connections, health
answers while hundreds of bursts are open, and every disconnect gives back what it held."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
import redis
from httpx_sse import aconnect_sse

from tests.http.helpers import HEADERS, publish, stream_url
from tests.server import RunningServer
from tests.waiting import until

pytestmark = pytest.mark.anyio

CLIENTS = 500


def _connections(sync_redis: redis.Redis, server: RunningServer) -> int:
    name = server.services.clients.name
    return sum(1 for c in sync_redis.client_list() if c.get("name", "").startswith(name))


async def test_500_clients_share_at_most_four_redis_connections(
    make_server: Any, sync_redis: redis.Redis
) -> None:
    limits = {"max_connections_per_user": CLIENTS, "max_connections_per_tenant": CLIENTS}
    with make_server(**limits) as server:
        await _fan_out_to_many(server, sync_redis)


async def _fan_out_to_many(server: RunningServer, sync_redis: redis.Redis) -> None:
    url = f"{stream_url(server.url, 'wide')}/events"
    received: list[str] = []
    limits = httpx.Limits(max_connections=CLIENTS + 20, max_keepalive_connections=20)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def follow() -> None:
            params = {"max_seconds": 45}
            async with aconnect_sse(client, "GET", url, headers=HEADERS, params=params) as source:
                async for event in source.aiter_sse():
                    if event.event == "metric":
                        received.append(event.id)
                        return

        async with anyio.create_task_group() as group:
            for _ in range(CLIENTS):
                group.start_soon(follow)
            await until(lambda: server.services.hub.listeners == CLIENTS)
            health = await client.get(f"{server.url}/api/v1/health")
            assert health.status_code == 200
            assert health.json()["live"] == {"listeners": CLIENTS, "streams": 1}
            assert _connections(sync_redis, server) <= 4
            ids = await publish(client, server.url, "wide", {"to": "everyone"})
    assert received == ids * CLIENTS
    await until(lambda: server.services.hub.listeners == 0)


async def test_disconnects_release_everything(make_server: Any, sync_redis: redis.Redis) -> None:
    """200 clients connect, read ``ready`` and leave; the server returns to idle."""
    with make_server(max_connections_per_user=100) as server:
        await _churn(server, sync_redis)


async def _churn(server: RunningServer, sync_redis: redis.Redis) -> None:
    url = f"{stream_url(server.url, 'churn')}/events"
    idle_tasks = server.task_count()
    async with httpx.AsyncClient(timeout=30) as client:

        async def connect_read_ready_leave() -> None:
            params = {"max_seconds": 30}
            async with aconnect_sse(client, "GET", url, headers=HEADERS, params=params) as source:
                async for event in source.aiter_sse():
                    assert event.event == "ready"
                    break

        for _ in range(10):
            async with anyio.create_task_group() as group:
                for _ in range(20):
                    group.start_soon(connect_read_ready_leave)
    hub = server.services.hub
    await until(lambda: hub.listeners == 0 and hub.streams == 0 and not hub.running, 10)
    await until(lambda: server.task_count() == idle_tasks, 10)
    assert _connections(sync_redis, server) <= 4
