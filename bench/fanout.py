"""Fan-out benchmark: one `burstream serve` process, many SSE clients, one publisher.

Prints: clients held, Redis connections the server used, publish-to-receive latency, server CPU
per delivered event and server memory. The server runs as a subprocess on loopback (so its CPU is
measured apart from the clients'), against the Redis at BURSTREAM_BENCH_REDIS_URL or
127.0.0.1:6379 under a throwaway key prefix (deleted afterwards), or the embedded store with
--embedded. Figures only: nothing here passes or fails.

    .venv/bin/python bench/fanout.py --clients 1000 --events 200 --rate 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid

import httpx
import redis
from httpx_sse import aconnect_sse

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    args = _args()
    redis_url = None if args.embedded else args.redis_url
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    port = _free_port()
    server = _start_server(port, redis_url, prefix)
    try:
        asyncio.run(_bench(args, f"http://127.0.0.1:{port}", server.pid, redis_url))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if redis_url:
            _delete(redis_url, prefix)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50, help="events per second")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BURSTREAM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    parser.add_argument("--embedded", action="store_true")
    return parser.parse_args()


def _start_server(port: int, redis_url: str | None, prefix: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BURSTREAM_JWT_SECRET": SECRET, "BURSTREAM_KEY_PREFIX": prefix}
    env["BURSTREAM_LISTENER_QUEUE_EVENTS"] = "4096"
    env["BURSTREAM_MAX_CONNECTIONS_PER_TENANT"] = "1000000"
    env["BURSTREAM_MAX_CONNECTIONS_PER_USER"] = "1000000"
    env.pop("BURSTREAM_REDIS_URL", None)
    if redis_url:
        env["BURSTREAM_REDIS_URL"] = redis_url
    command = [sys.executable, "-m", "handlers.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("server did not start")


async def _bench(args: argparse.Namespace, base: str, pid: int, redis_url: str | None) -> None:
    token = _token()
    url = f"{base}/api/v1/tenants/bench/streams/fan/events"
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    ready = asyncio.Event()
    connected = 0
    limits = httpx.Limits(max_connections=args.clients + 10)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def follow() -> None:
            nonlocal connected
            params = {"max_seconds": 600}
            async with aconnect_sse(client, "GET", url, headers=headers, params=params) as src:
                if src.response.status_code != 200:
                    await src.response.aread()
                    raise SystemExit(f"{src.response.status_code} {src.response.text}")
                async for event in src.aiter_sse():
                    if event.event == "ready":
                        connected += 1
                        if connected == args.clients:
                            ready.set()
                    elif event.event == "metric":
                        sent = json.loads(event.data)["t"]
                        latencies.append(time.time() - sent)
                        if json.loads(event.data)["last"]:
                            return

        tasks = [asyncio.create_task(follow()) for _ in range(args.clients)]
        await asyncio.wait_for(ready.wait(), 120)
        connections = _server_connections(redis_url, pid)
        rss_mb = _rss_mb(pid)
        cpu_before = _cpu_seconds(pid)
        await _publish(client, base, headers, args)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        cpu = _cpu_seconds(pid) - cpu_before
    _report(args, connections, rss_mb, cpu, latencies)


async def _publish(
    client: httpx.AsyncClient, base: str, headers: dict[str, str], args: argparse.Namespace
) -> None:
    url = f"{base}/api/v1/tenants/bench/streams/fan/events"
    for n in range(args.events):
        data = {"t": time.time(), "n": n, "last": n == args.events - 1}
        response = await client.post(
            url, json={"events": [{"type": "metric", "data": data}]}, headers=headers
        )
        response.raise_for_status()
        await asyncio.sleep(1 / args.rate)


def _report(
    args: argparse.Namespace, connections: int | None, rss_mb: float, cpu: float, lat: list[float]
) -> None:
    delivered = len(lat)
    quantiles = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
    print(f"clients held by one process      {args.clients}")
    print(f"redis connections (server)       {connections if connections is not None else 'n/a'}")
    print(f"server RSS with clients open     {rss_mb:.1f} MiB")
    print(f"events delivered                 {delivered} ({args.events} x {args.clients})")
    print(f"publish->receive latency p50     {quantiles[49] * 1000:.1f} ms")
    print(f"publish->receive latency p99     {quantiles[98] * 1000:.1f} ms")
    print(f"server CPU per delivered event   {cpu / max(delivered, 1) * 1e6:.1f} us")


def _server_connections(redis_url: str | None, pid: int) -> int | None:
    if redis_url is None:
        return None
    client = redis.Redis.from_url(redis_url)
    try:
        names = [c.get("name", "") for c in client.client_list()]
    finally:
        client.close()
    return sum(1 for name in names if name.startswith(f"burstream-{pid}-"))


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _token() -> str:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from infra.tokens import TokenVerifier

    return TokenVerifier(SECRET).mint("bench", ["bench"], ["publish", "subscribe"])


def _delete(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
