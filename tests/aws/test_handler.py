"""The Lambda path end to end: the real ``handler(event, context)``, Mangum, the app, real Redis.

Every burst here is buffered (Mangum puts ``aws.context`` in the scope). A burst's ``ready``
tells the deadline it computed; the fake context tells whether the invocation returned in time.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from handlers.lambda_http import LambdaHandler
from tests.aws.conftest import Configure
from tests.aws.helpers import HEADERS, burst_of, burst_request, invoke, publish, stream_path
from tests.aws.payloads import Request


def test_publish_then_history(handler: LambdaHandler) -> None:
    ids = publish(handler, "pub", {"cpu": 0.42}, {"cpu": 0.43})
    request = Request("GET", f"{stream_path('pub')}/history", headers=HEADERS)
    page = invoke(handler, request).answer.json()
    assert [event["id"] for event in page["events"]] == ids
    assert [event["data"] for event in page["events"]] == [{"cpu": 0.42}, {"cpu": 0.43}]
    assert page["head"] == ids[-1]


def test_buffered_burst_returns_its_first_batch(handler: LambdaHandler) -> None:
    ids = publish(handler, "batch", 1, 2, 3)
    call = invoke(handler, burst_request("batch", query={"cursor": "earliest"}), seconds=30)
    burst = burst_of(call.answer)
    assert burst.kinds == ["ready", "metric", "metric", "metric", "burst-end"]
    assert burst.ready["mode"] == "buffered"
    assert burst.ready["deadline_ms"] == 27_500, "29 s gateway timeout minus the 1.5 s margin"
    assert burst.data_ids == ids
    assert burst.end == {"cursor": ids[-1], "reason": "batch", "retry_ms": 500}
    assert call.returned_in_time


def test_a_waiting_burst_takes_an_event_published_meanwhile(
    handler: LambdaHandler, lambda_env: Configure
) -> None:
    """Another container publishes while this one waits: Mangum's receive() cuts nothing."""
    published: list[str] = []

    def other_container() -> None:
        other = LambdaHandler()
        try:
            _wait_for(lambda: handler.services is not None and handler.services.hub.streams > 0)
            published.extend(publish(other, "live", {"n": 1}))
        finally:
            other.close()

    publisher = threading.Thread(target=other_container)
    publisher.start()
    call = invoke(handler, burst_request("live"), seconds=30)
    publisher.join(timeout=10)
    burst = burst_of(call.answer)
    assert burst.data_ids == published
    assert burst.end["reason"] == "batch"
    assert call.returned_in_time


DEADLINES = [
    pytest.param(1.0, None, id="1s-left"),
    pytest.param(3.0, None, id="3s-left"),
    pytest.param(30.0, 3.0, id="30s-left-gateway-3s"),
]


@pytest.mark.parametrize(("seconds", "gateway"), DEADLINES)
def test_empty_burst_ends_at_its_deadline_inside_the_invocation(
    handler: LambdaHandler, lambda_env: Configure, seconds: float, gateway: float | None
) -> None:
    if gateway is not None:
        lambda_env(buffered_linger_ms=20, gateway_timeout_seconds=gateway)
    publish(handler, "quiet", "old")
    call = invoke(handler, burst_request("quiet"), seconds=seconds)
    burst = burst_of(call.answer)
    assert burst.kinds == ["ready", "burst-end"]
    assert burst.end["reason"] == "deadline"
    limit_ms = min(seconds, gateway or seconds) * 1000 - 1500
    assert max(limit_ms - 1000, 0) <= burst.ready["deadline_ms"] <= max(limit_ms, 0)
    assert call.returned_in_time


@pytest.mark.parametrize(("seconds", "gateway"), DEADLINES)
def test_history_wait_obeys_the_invocation_deadline(
    handler: LambdaHandler, lambda_env: Configure, seconds: float, gateway: float | None
) -> None:
    if gateway is not None:
        lambda_env(buffered_linger_ms=20, gateway_timeout_seconds=gateway)
    ids = publish(handler, "poll", "only")
    query = {"after": ids[0], "wait": "25"}
    call = invoke(
        handler, Request("GET", f"{stream_path('poll')}/history", query, HEADERS), seconds=seconds
    )
    assert call.answer.status == 200
    assert call.answer.json()["events"] == []
    assert call.returned_in_time


def test_resume_across_ten_invocations_with_last_event_id(handler: LambdaHandler) -> None:
    """Like a browser's EventSource: the URL keeps ``?cursor=``, ``Last-Event-ID`` wins."""
    published = publish(handler, "flow", "before")
    received: list[str] = []
    cursor: str | None = None
    for round_ in range(10):
        published += publish(handler, "flow", *(f"r{round_}-{n}" for n in range(round_ % 3 + 1)))
        request = burst_request("flow", query={"cursor": "earliest"}, last_event_id=cursor)
        burst = burst_of(invoke(handler, request).answer)
        if cursor is not None:
            assert burst.events[0].id == cursor
        assert burst.end["reason"] == "batch"
        received += burst.data_ids
        cursor = burst.last_id
    assert received == published


def test_a_burst_stays_under_the_lambda_response_limit(handler: LambdaHandler) -> None:
    """Quote-heavy data doubles when Lambda JSON-encodes the body; the cap allows for it."""
    quotes = '"' * 30_000
    ids: list[str] = []
    for _ in range(5):
        ids += publish(handler, "big", *[quotes] * 10)
    first = invoke(handler, burst_request("big", query={"cursor": "earliest"}))
    burst = burst_of(first.answer)
    assert burst.end["reason"] == "limit"
    assert len(first.response["body"]) >= 2_500_000
    assert len(json.dumps(first.response, ensure_ascii=False).encode()) < 6 * 1024 * 1024
    rest = burst_of(invoke(handler, burst_request("big", last_event_id=burst.last_id)).answer)
    assert burst.data_ids + rest.data_ids == ids


def test_errors_are_json_through_mangum(handler: LambdaHandler) -> None:
    anonymous = invoke(handler, Request("GET", f"{stream_path('x')}/history")).answer
    bad_cursor = invoke(handler, burst_request("x", query={"cursor": "nope"})).answer
    unknown = invoke(handler, Request("GET", "/api/v1/nothing-here", headers=HEADERS)).answer
    assert (anonymous.status, anonymous.json()["error"]) == (401, "missing_credentials")
    assert (bad_cursor.status, bad_cursor.json()["error"]) == (400, "invalid_cursor")
    assert (unknown.status, unknown.json()["error"]) == (404, "not_found")


def _wait_for(condition: object, seconds: float = 10) -> None:
    """Poll a condition another thread makes true; ``seconds`` is a hang guard only."""
    assert callable(condition)
    stop = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < stop, "timed out"
        time.sleep(0.005)
