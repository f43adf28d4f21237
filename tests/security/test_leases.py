"""Connection leases: one fleet-wide limit per tenant and per user, atomic, self-expiring.

"The fleet" is two app instances on one Redis under one key prefix; "a process killed" is a
real server process, holding a burst, sent SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
import redis

from infra.settings import TenantLimits
from tests.security.credentials import bearer, mint, signed_ticket
from tests.security.streams import hold, leases, refusal
from tests.server import SECRET, RunningServer
from tests.waiting import until

pytestmark = pytest.mark.anyio

ALICE = bearer(mint(["acme", "beta"], subject="alice"))
BOB = bearer(mint(["acme", "beta"], subject="bob"))
CAROL = bearer(mint(["acme", "beta"], subject="carol"))


def _url(server: Any, tenant: str = "acme", stream: str = "m") -> str:
    base = server if isinstance(server, str) else server.url
    return f"{base}/api/v1/tenants/{tenant}/streams/{stream}/events"


async def test_two_instances_enforce_one_fleet_wide_tenant_limit(
    make_server: Any, sync_redis: redis.Redis, prefix: str
) -> None:
    with (
        make_server(max_connections_per_tenant=2) as one,
        make_server(max_connections_per_tenant=2) as two,
    ):
        async with httpx.AsyncClient(timeout=10) as client:
            first = await hold(client, _url(one), ALICE)
            second = await hold(client, _url(two), BOB)
            third_on_one = await hold(client, _url(one), CAROL)
            third_on_two = await hold(client, _url(two, stream="other"), CAROL)
            assert (first.status, second.status) == (200, 200)
            assert leases(sync_redis, prefix, "acme") == 2
            for refused in (third_on_one, third_on_two):
                status, code, retry_after = refusal(refused.response)
                assert (status, code) == (429, "tenant_connections")
                assert retry_after >= 1
            await first.close()
            await until(lambda: leases(sync_redis, prefix, "acme") == 1)
            again = await hold(client, _url(two), CAROL)
            assert again.status == 200
            for held in (second, third_on_one, third_on_two, again):
                await held.close()
    assert one.services.hub.listeners == two.services.hub.listeners == 0


async def test_per_user_limit_is_fleet_wide_and_per_tenant(make_server: Any) -> None:
    with (
        make_server(max_connections_per_user=1) as one,
        make_server(max_connections_per_user=1) as two,
    ):
        async with httpx.AsyncClient(timeout=10) as client:
            alice = await hold(client, _url(one), ALICE)
            alice_again = await hold(client, _url(two), ALICE)
            bob = await hold(client, _url(two), BOB)
            alice_elsewhere = await hold(client, _url(two, tenant="beta"), ALICE)
            statuses = [h.status for h in (alice, alice_again, bob, alice_elsewhere)]
            assert statuses == [200, 429, 200, 200]
            assert alice_again.response is not None
            assert alice_again.response.json()["error"] == "user_connections"
            for held in (alice, alice_again, bob, alice_elsewhere):
                await held.close()


async def test_a_ticket_counts_against_its_users_limit(make_server: Any) -> None:
    with make_server(max_connections_per_user=1) as server:
        ticket = signed_ticket("acme", ["m"], subject="alice")
        async with httpx.AsyncClient(timeout=10) as client:
            by_token = await hold(client, _url(server), ALICE)
            by_ticket = await hold(client, _url(server), {}, ticket=ticket)
            assert (by_token.status, by_ticket.status) == (200, 429)
            await by_token.close()
            await by_ticket.close()


async def test_per_tenant_overrides(make_server: Any) -> None:
    overrides = {"beta": TenantLimits(max_connections_per_tenant=2)}
    with make_server(max_connections_per_tenant=1, tenant_limits=overrides) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            held = [
                await hold(client, _url(server, tenant), headers)
                for tenant, headers in [
                    ("acme", ALICE),
                    ("acme", BOB),
                    ("beta", ALICE),
                    ("beta", BOB),
                    ("beta", CAROL),
                ]
            ]
            assert [h.status for h in held] == [200, 429, 200, 200, 429]
            for one in held:
                await one.close()


async def test_over_the_limit_no_stream_work_starts(
    make_server: Any, sync_redis: redis.Redis, prefix: str
) -> None:
    with make_server(max_connections_per_tenant=1) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            held = await hold(client, _url(server), ALICE)
            response = await client.get(_url(server, stream="untouched"), headers=BOB)
            assert response.status_code == 429
            assert response.headers["content-type"].startswith("application/json")
            assert server.services.hub.listeners == 1
            assert server.services.hub.streams == 1
            assert list(sync_redis.scan_iter(match=f"{prefix}:*:untouched")) == []
            await held.close()


async def test_disconnect_releases_the_lease_at_once(
    make_server: Any, sync_redis: redis.Redis, prefix: str
) -> None:
    """The lease would live 55 s + grace; it is gone well inside the 10 s hang guard."""
    with make_server(max_connections_per_tenant=1) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(5):
                held = await hold(client, _url(server), ALICE)
                assert held.status == 200
                assert leases(sync_redis, prefix, "acme") == 1
                await held.close()
                await until(lambda: leases(sync_redis, prefix, "acme") == 0, seconds=10)
            assert leases(sync_redis, prefix, "acme", user="alice") == 0


async def test_a_burst_that_ends_releases_its_lease(
    make_server: Any, sync_redis: redis.Redis, prefix: str
) -> None:
    with make_server(max_connections_per_tenant=1) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(3):
                response = await client.get(
                    _url(server), headers=ALICE, params={"max_seconds": 0.1}
                )
                assert response.status_code == 200
                assert b"event: burst-end" in response.content
        await until(lambda: leases(sync_redis, prefix, "acme") == 0)


async def test_leases_are_taken_in_both_sets_or_neither(server: RunningServer) -> None:
    keeper = server.services.leases

    async def scenario() -> list[str]:
        outcomes = []
        for holder in ["alice"] * 25 + ["bob"]:
            try:
                await keeper.acquire("acme", holder, 30)
                outcomes.append("granted")
            except Exception as exc:
                outcomes.append(getattr(exc, "code", repr(exc)))
        return outcomes

    outcomes = server.call(scenario)
    assert outcomes == ["granted"] * 20 + ["user_connections"] * 5 + ["granted"]


async def test_release_is_idempotent(
    server: RunningServer, sync_redis: redis.Redis, prefix: str
) -> None:
    keeper = server.services.leases

    async def scenario() -> None:
        lease = await keeper.acquire("acme", "alice", 30)
        await keeper.release("acme", "alice", lease)
        await keeper.release("acme", "alice", lease)
        await keeper.release("acme", "alice", "never-issued")

    server.call(scenario)
    assert leases(sync_redis, prefix, "acme") == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_SERVE = """
import sys, uvicorn
from handlers.app import create_app
from infra.settings import Settings
uvicorn.run(create_app(Settings.from_env()), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning")
"""


@pytest.fixture
def doomed_server(redis_url: str, prefix: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server in its own process (bursts of 3 s, grace 1 s), for the test to kill."""
    port = _free_port()
    env = {
        **os.environ,
        "BURSTREAM_REDIS_URL": redis_url,
        "BURSTREAM_KEY_PREFIX": prefix,
        "BURSTREAM_JWT_SECRET": SECRET,
        "BURSTREAM_BURST_SECONDS": "3",
        "BURSTREAM_LEASE_GRACE_SECONDS": "1",
        "BURSTREAM_MAX_CONNECTIONS_PER_TENANT": "1",
    }
    process = subprocess.Popen([sys.executable, "-c", _SERVE, str(port)], env=env)
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            return (await client.get(f"{url}/api/v1/health")).status_code == 200
    except httpx.TransportError:
        return False


async def test_a_killed_process_leaks_no_lease(
    doomed_server: tuple[str, subprocess.Popen[bytes]],
    make_server: Any,
    sync_redis: redis.Redis,
    prefix: str,
) -> None:
    """SIGKILL a server mid-burst: its lease still counts, then expires by itself."""
    url, process = doomed_server
    with make_server(max_connections_per_tenant=1) as survivor:
        async with httpx.AsyncClient(timeout=10) as client:
            await _until_async(lambda: _answers(url), seconds=30)
            held = await hold(client, _url(url), ALICE)
            assert held.status == 200
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            with contextlib.suppress(httpx.HTTPError):
                await held.close()
            response = await client.get(_url(survivor), headers=BOB)
            assert refusal(response)[:2] == (429, "tenant_connections")
            statuses: list[int] = []

            async def one_attempt() -> bool:
                response = await client.get(
                    _url(survivor), headers=BOB, params={"max_seconds": 0.1}
                )
                statuses.append(response.status_code)
                return response.status_code == 200

            await _until_async(one_attempt, seconds=20)
    assert statuses[-1] == 200
    assert leases(sync_redis, prefix, "acme") == 0


async def _until_async(attempt: Callable[[], Awaitable[bool]], seconds: float) -> None:
    """Retry ``attempt`` until it succeeds; ``seconds`` is a hang guard."""
    with anyio.fail_after(seconds):
        while not await attempt():  # noqa: ASYNC110 - the state lives in another process
            await anyio.sleep(0.1)
