"""Every event source Mangum serves, through the real handler: REST API (v1), HTTP API (v2),
ALB (with and without multi-value headers) and function URLs."""

from __future__ import annotations

import json

import pytest

from handlers.lambda_http import LambdaHandler
from tests.aws.helpers import HEADERS, burst_of, burst_request, invoke, publish, stream_path
from tests.aws.payloads import SOURCES, Request

SOURCE_IDS = list(SOURCES)


@pytest.mark.parametrize("source", SOURCE_IDS)
def test_publish_history_and_burst_for_each_source(handler: LambdaHandler, source: str) -> None:
    ids = publish(handler, f"src-{source}", {"via": source}, {"n": 2}, source=source)
    history = Request(
        "GET", f"{stream_path(f'src-{source}')}/history", query={"limit": "1"}, headers=HEADERS
    )
    page = invoke(handler, history, source=source).answer.json()
    request = burst_request(f"src-{source}", query={"cursor": "earliest"}, last_event_id=ids[0])
    call = invoke(handler, request, source=source)
    burst = burst_of(call.answer)
    assert [event["id"] for event in page["events"]] == ids[1:]
    assert page["prev"] == ids[1]
    assert burst.kinds == ["ready", "metric", "burst-end"]
    assert burst.data_ids == ids[1:], "Last-Event-ID reached the app and won over ?cursor="
    assert json.loads(burst.events[1].data) == {"n": 2}
    assert call.answer.headers["cache-control"].startswith("no-cache")
    assert call.response["isBase64Encoded"] is False


@pytest.mark.parametrize("source", SOURCE_IDS)
def test_a_base64_encoded_body_is_decoded(handler: LambdaHandler, source: str) -> None:
    body = json.dumps({"events": [{"type": "note", "data": "héllo ✓"}]}).encode()
    headers = {**HEADERS, "Content-Type": "application/json"}
    request = Request("POST", f"{stream_path('b64')}/events", headers=headers, body=body)
    published = invoke(handler, Request(**{**request.__dict__, "base64": True}), source=source)
    page = invoke(handler, Request("GET", f"{stream_path('b64')}/history", headers=HEADERS))
    assert published.answer.status == 201
    assert page.answer.json()["events"][-1]["data"] == "héllo ✓"


@pytest.mark.parametrize(
    ("source", "header_key"),
    [
        ("rest-v1", "multiValueHeaders"),
        ("http-v2", "headers"),
        ("alb", "headers"),
        ("alb-multi-value", "multiValueHeaders"),
        ("function-url", "headers"),
    ],
    ids=SOURCE_IDS,
)
def test_answers_come_back_in_the_source_format(
    handler: LambdaHandler, source: str, header_key: str
) -> None:
    call = invoke(
        handler, Request("GET", f"{stream_path('fmt')}/history", headers=HEADERS), source=source
    )
    assert call.response["statusCode"] == 200
    assert header_key in call.response
    assert call.answer.headers["content-type"] == "application/json"
