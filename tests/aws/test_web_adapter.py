"""The streaming shape: ``burstream serve`` under the Lambda Web Adapter, which passes the
invocation's deadline in the ``x-amzn-lambda-context`` header instead of a Mangum context."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.http.helpers import HEADERS, stream_url
from tests.http.sse_client import burst
from tests.server import serve, settings_for

pytestmark = pytest.mark.anyio


def _adapter_header(seconds_left: float, field: str = "deadline") -> dict[str, str]:
    deadline = int(time.time() * 1000 + seconds_left * 1000)
    context = {"request_id": "r-1", field: deadline, "invoked_function_arn": "arn:aws:lambda:x"}
    return {"x-amzn-lambda-context": json.dumps(context)}


@pytest.mark.parametrize("field", ["deadline", "deadline_ms"], ids=["deadline", "deadline-ms"])
async def test_bursts_end_before_the_invocation_does(
    redis_url: str, prefix: str, field: str
) -> None:
    settings = settings_for(redis_url, prefix, deadline_margin_ms=1500)
    with serve(settings, on_lambda=True) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            url = f"{stream_url(server.url, 'lwa')}/events"
            headers = {**HEADERS, **_adapter_header(2.0, field)}
            result = await burst(client, url, headers)
    assert result.ready["mode"] == "streaming"
    assert 0 < result.ready["deadline_ms"] <= 500
    assert result.end["reason"] == "deadline"


@pytest.mark.parametrize(
    ("on_lambda", "header"),
    [
        (False, _adapter_header(2.0)),
        (True, {"x-amzn-lambda-context": "not json"}),
        (True, {"x-amzn-lambda-context": '{"deadline": "soon"}'}),
    ],
    ids=["off-lambda", "malformed", "non-numeric"],
)
async def test_the_header_is_ignored_off_lambda_or_when_malformed(
    redis_url: str, prefix: str, on_lambda: bool, header: dict[str, str]
) -> None:
    with serve(settings_for(redis_url, prefix), on_lambda=on_lambda) as server:
        async with httpx.AsyncClient(timeout=10) as client:
            url = f"{stream_url(server.url, 'lwa')}/events"
            result = await burst(client, url, {**HEADERS, **header}, params={"max_seconds": 3})
    assert result.ready["deadline_ms"] == 3000
