"""Per-invocation overhead of the Mangum path, in process, with no network.

Each request goes two ways on the same warm container and event loop:
  direct   the ASGI app called with a hand-built scope (what uvicorn would hand it);
  handler  ``LambdaHandler(event, context)``: Mangum's event parsing and response building, the
           handler's own work (loop switch, settling), for each event source.
The difference of the medians is what the Lambda path adds per invocation. The requests are a
real route answered 401 (no credentials) and an unknown route (404): routing, the auth check
and error shaping run, the store is never touched, so nothing leaves the process (the Redis URL
points at a closed port on purpose). Figures only: nothing here passes or fails.

Mangum logs one INFO line per request ("GET /path 401"), and the app's logging config lets it
through, on Lambda as here; ``--quiet-access-log`` measures without it.

    .venv/bin/python bench/lambda_overhead.py --iterations 5000 [--quiet-access-log]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.lambda_http import LambdaHandler
from infra.settings import Settings

PATHS = {
    "401 history": "/api/v1/tenants/demo/streams/metrics/history",
    "404 unknown": "/api/v1/nothing-here",
}


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def main() -> None:
    args = _args()
    settings = Settings(
        redis_url="redis://127.0.0.1:1/0",
        jwt_secret="bench-secret-0123456789abcdef0123456789abcdef",
        key_prefix="bench",
    )
    handler = LambdaHandler(lambda: settings)
    handler.warm()
    container = handler._container
    assert container is not None
    if args.quiet_access_log:
        logging.getLogger("mangum.http").setLevel(logging.WARNING)
    access = "without" if args.quiet_access_log else "with"
    print(
        f"{args.iterations} iterations after {args.warmup} warm-up, {access} Mangum's access"
        " log line; microseconds per request"
    )
    print(f"{'request':14} {'path':9} {'median':>8} {'p90':>8} {'p99':>8} {'overhead':>9}")
    for label, path in PATHS.items():
        direct = _measure(lambda p=path: _direct(container, p), args)
        _row(label, "direct", direct, None)
        for source, build in SOURCES.items():
            event = build(path)
            timings = _measure(lambda e=event: handler(e, Context()), args)
            _row(label, source, timings, statistics.median(direct))
    handler.close()


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--quiet-access-log", action="store_true")
    return parser.parse_args()


def _measure(call: Callable[[], Any], args: argparse.Namespace) -> list[float]:
    for _ in range(args.warmup):
        call()
    timings = []
    for _ in range(args.iterations):
        start = time.perf_counter_ns()
        call()
        timings.append((time.perf_counter_ns() - start) / 1000)
    return timings


def _row(label: str, path: str, timings: list[float], baseline: float | None) -> None:
    cuts = statistics.quantiles(timings, n=100)
    median = statistics.median(timings)
    extra = "" if baseline is None else f"{median - baseline:+9.1f}"
    print(f"{label:14} {path:9} {median:8.1f} {cuts[89]:8.1f} {cuts[98]:8.1f} {extra}")


def _direct(container: Any, path: str) -> int:
    """The app straight from a hand-built scope, on the container's loop (no Mangum)."""
    status: list[int] = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench.example"), (b"user-agent", b"bench")],
        "client": ("203.0.113.7", 0),
        "server": ("bench.example", 443),
    }
    app = container.adapter.app
    container.loop.run_until_complete(app(scope, receive, send))
    return status[0]


def _http_v2(path: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc.execute-api.eu-west-1.amazonaws.com", "user-agent": "bench"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc",
            "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "bench",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "27/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795000000000,
        },
        "isBase64Encoded": False,
    }


def _rest_v1(path: str) -> dict[str, Any]:
    headers = {"Host": "abc.execute-api.eu-west-1.amazonaws.com", "User-Agent": "bench"}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc",
            "httpMethod": "GET",
            "identity": {"sourceIp": "203.0.113.7"},
            "path": f"/prod{path}",
            "requestId": "bench",
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def _alb(path: str) -> dict[str, Any]:
    return {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:bench"}},
        "httpMethod": "GET",
        "path": path,
        "queryStringParameters": {},
        "headers": {"host": "bench.elb.amazonaws.com", "user-agent": "bench"},
        "body": "",
        "isBase64Encoded": False,
    }


SOURCES = {"http-v2": _http_v2, "rest-v1": _rest_v1, "alb": _alb}


if __name__ == "__main__":
    main()
