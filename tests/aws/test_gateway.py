"""``burstream gateway``: HTTP API events, warm containers, and AWS's limits as AWS answers them.

The mechanics are driven through small fake functions plugged in where the gateway makes its
containers; the whole Lambda path (the real handler, real Redis) runs at the end and in the
EventSource test.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from handlers.gateway import Gateway, GatewayLimits
from handlers.lambda_http import LambdaHandler
from tests.aws.conftest import Configure
from tests.aws.eventsource import EventSourceClient
from tests.aws.gateway_server import ROOT, gateway_process, running
from tests.aws.helpers import HEADERS, stream_path
from tests.http.sse_client import CONTROL

RELEASE_GUARD = 10
STREAM = "/tenants/acme/streams/es"


class Fake:
    """A container whose answer the test chooses; it records what it was given."""

    def __init__(self, answer: Any = None, *, hold: threading.Event | None = None) -> None:
        self.answer = answer or {"statusCode": 200, "headers": {}, "body": "ok"}
        self.hold = hold
        self.events: list[dict[str, Any]] = []
        self.remaining_ms: list[int] = []
        self.closed = False

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.remaining_ms.append(context.get_remaining_time_in_millis())
        if self.hold is not None:
            assert self.hold.wait(RELEASE_GUARD)
        if self.answer == "overrun":
            while context.get_remaining_time_in_millis() > 0:
                threading.Event().wait(0.01)
            return {"statusCode": 200, "body": "too late"}
        if isinstance(self.answer, Exception):
            raise self.answer
        result: dict[str, Any] = self.answer
        return result

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fakes() -> Iterator[list[Fake]]:
    made: list[Fake] = []
    yield made
    for fake in made:
        if fake.hold is not None:
            fake.hold.set()


def _gateway(made: list[Fake], limits: GatewayLimits | None = None, **fake: Any) -> Gateway:
    def make() -> Fake:
        made.append(Fake(**fake))
        return made[-1]

    return Gateway(make, limits or GatewayLimits(function_timeout_seconds=5))


def test_a_request_becomes_an_http_api_v2_event(fakes: list[Fake]) -> None:
    answer = {
        "statusCode": 201,
        "headers": {"content-type": "application/octet-stream", "x-a": "1"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": base64.b64encode(b"\x00\xff").decode(),
        "isBase64Encoded": True,
    }
    with running(_gateway(fakes, answer=answer)) as url, httpx.Client() as client:
        reply = client.post(
            f"{url}/api/v1/x%20y/z",
            params=[("a", "1"), ("a", "2"), ("b", "x y")],
            headers=[("X-Multi", "one"), ("X-Multi", "two"), ("Cookie", "s=1; t=2")],
            content=b"\x00\x01binary",
        )
        text = client.post(f"{url}/t", json={"k": "é"})
    event, text_event = fakes[0].events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/api/v1/x%20y/z"
    assert event["rawQueryString"] == "a=1&a=2&b=x+y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["headers"]["x-multi"] == "one,two"
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"\x00\x01binary")
    assert (text_event["isBase64Encoded"], json.loads(text_event["body"])) == (False, {"k": "é"})
    assert (reply.status_code, reply.content) == (201, b"\x00\xff")
    assert reply.headers["x-a"] == "1"
    assert reply.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert text.status_code == 201


def test_the_context_counts_down_from_the_function_timeout(fakes: list[Fake]) -> None:
    limits = GatewayLimits(function_timeout_seconds=7)
    with running(_gateway(fakes, limits)) as url, httpx.Client() as client:
        client.get(url)
    assert 0 < fakes[0].remaining_ms[0] <= 7000


def test_containers_stay_warm_and_close_at_shutdown(fakes: list[Fake]) -> None:
    with running(_gateway(fakes)) as url, httpx.Client() as client:
        statuses = [client.get(url).status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert len(fakes) == 1
    assert len(fakes[0].events) == 5
    assert fakes[0].closed


def test_past_the_integration_timeout_the_client_gets_503(fakes: list[Fake]) -> None:
    hold = threading.Event()
    limits = GatewayLimits(function_timeout_seconds=20, integration_timeout_seconds=0.2)
    gateway = _gateway(fakes, limits, hold=hold)
    with running(gateway) as url, httpx.Client() as client:
        reply = client.get(url)
        hold.set()
    assert (reply.status_code, reply.json()) == (503, {"message": "Service Unavailable"})


def test_busy_containers_up_to_the_concurrency_limit_then_429(fakes: list[Fake]) -> None:
    hold = threading.Event()
    limits = GatewayLimits(function_timeout_seconds=20, concurrency=2)
    with running(_gateway(fakes, limits, hold=hold)) as url, httpx.Client() as client:
        waiting = [threading.Thread(target=client.get, args=(url,)) for _ in range(2)]
        for thread in waiting:
            thread.start()
        _until(lambda: sum(len(fake.events) for fake in fakes) == 2)
        throttled = client.get(url)
        hold.set()
        for thread in waiting:
            thread.join(timeout=RELEASE_GUARD)
        after = client.get(url)
    assert (throttled.status_code, throttled.json()) == (429, {"message": "Too Many Requests"})
    assert after.status_code == 200
    assert len(fakes) == 2


def test_an_invocation_past_its_function_timeout_is_killed(fakes: list[Fake]) -> None:
    limits = GatewayLimits(function_timeout_seconds=0.3, integration_timeout_seconds=5)
    with running(_gateway(fakes, limits, answer="overrun")) as url, httpx.Client() as client:
        killed = client.get(url)
        _until(lambda: fakes[0].closed)
        client.get(url)
    assert (killed.status_code, killed.json()) == (500, {"message": "Internal Server Error"})
    assert len(fakes) == 2, "a killed container is replaced, never reused"


def test_a_function_error_is_500(fakes: list[Fake]) -> None:
    with running(_gateway(fakes, answer=RuntimeError("boom"))) as url, httpx.Client() as client:
        reply = client.get(url)
    assert (reply.status_code, reply.json()) == (500, {"message": "Internal Server Error"})


def test_payload_limits_each_way(fakes: list[Fake]) -> None:
    big = {"statusCode": 200, "headers": {}, "body": "x" * 20_000}
    limits = GatewayLimits(function_timeout_seconds=5, payload_bytes=10_000)
    with running(_gateway(fakes, limits, answer=big)) as url, httpx.Client() as client:
        too_big_request = client.post(url, content=b"y" * 10_001)
        too_big_answer = client.get(url)
    assert (too_big_request.status_code, too_big_request.json()) == (
        413,
        {"message": "Request Entity Too Large"},
    )
    assert too_big_answer.status_code == 500
    assert len(fakes[0].events) == 1, "the oversized request never reached the function"


def test_the_real_handler_behind_a_short_integration_timeout(lambda_env: Configure) -> None:
    """Settings that promise a 29 s gateway while it gives 0.5 s: the client sees the 503."""
    limits = GatewayLimits(function_timeout_seconds=4, integration_timeout_seconds=0.5)
    with running(Gateway(LambdaHandler, limits)) as url, httpx.Client(timeout=10) as client:
        quiet = client.get(f"{url}{stream_path('slow')}/events", headers=HEADERS)
        history = client.get(f"{url}{stream_path('slow')}/history", headers=HEADERS)
    assert quiet.status_code == 503
    assert history.status_code == 200


def test_an_eventsource_follows_the_buffered_path_across_bursts(
    lambda_env: Configure, tmp_path: Path
) -> None:
    """``burstream gateway`` as a developer runs it; a browser-like client; a publisher."""
    published: list[str] = []
    responses: list[list[Any]] = []
    with gateway_process("--function-timeout", "4", log=tmp_path / "gateway.log") as base:
        url = f"{base}{STREAM}/events?cursor=earliest"

        def publisher() -> None:
            with httpx.Client(timeout=10) as client:
                for n in range(40):
                    body = {"events": [{"type": "tick", "data": n}]}
                    reply = client.post(f"{base}{STREAM}/events", json=body, headers=HEADERS)
                    published.extend(reply.json()["ids"])
                    threading.Event().wait(0.03)

        thread = threading.Thread(target=publisher)
        thread.start()
        with httpx.Client(timeout=30) as client:
            source = EventSourceClient(client, url, HEADERS)
            for events in source.responses():
                responses.append(events)
                received = [e.id for r in responses for e in r if e.event not in CONTROL]
                if not thread.is_alive() and len(received) >= len(published):
                    break
                assert source.connections < 100, "did not catch up"
        thread.join(timeout=RELEASE_GUARD)
    assert received == published
    assert len(published) == 40
    assert len(responses) >= 3
    assert all(response[0].event == "ready" for response in responses)
    resumed = [(before[-1].id, after[0].id) for before, after in pairwise(responses)]
    assert all(last == ready for last, ready in resumed), "each burst starts where one ended"
    ends = [json.loads(r[-1].data)["reason"] for r in responses]
    assert "batch" in ends
    assert set(ends) <= {"batch", "deadline"}


def test_a_bad_setting_stops_the_gateway_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like Lambda's init phase: the first container is built before the port opens."""
    monkeypatch.delenv("BURSTREAM_REDIS_URL", raising=False)
    monkeypatch.setenv("BURSTREAM_JWT_SECRET", "dev-only-secret-do-not-use-in-production-0123")
    command = [sys.executable, "-m", "handlers.cli", "gateway", "--port", "0"]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "BURSTREAM_REDIS_URL is not set: the embedded store is refused on Lambda" in (
        result.stderr
    )
    assert result.stdout == "", "no URL was announced"


def _until(condition: Any, seconds: float = RELEASE_GUARD) -> None:
    """Wait (bounded) for something another thread makes true."""
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("timed out waiting")
