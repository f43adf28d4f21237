"""Calls through the real Lambda handler, as a source would make them, and what came back."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.lambda_http import LambdaHandler
from infra.settings import PREFIX, Settings
from tests.aws.context import FakeContext
from tests.aws.payloads import SOURCES, Answer, Request, read
from tests.http.sse_client import BurstResult
from tests.server import auth

TENANT = "acme"
HEADERS = auth([TENANT])


def stream_path(stream: str) -> str:
    return f"/api/v1/tenants/{TENANT}/streams/{stream}"


def environment(settings: Settings) -> dict[str, str]:
    """The ``BURSTREAM_*`` variables that make ``Settings.from_env`` return ``settings``."""
    defaults = Settings()
    env: dict[str, str] = {}
    for name in Settings.__struct_fields__:
        value = getattr(settings, name)
        if value is None or value == getattr(defaults, name):
            continue
        if isinstance(value, tuple):
            text = ",".join(value)
        elif isinstance(value, dict):
            text = json.dumps(value)
        else:
            text = str(value)
        env[PREFIX + name.upper()] = text
    return env


@dataclass
class Invocation:
    """One invocation: the raw response, the answer a client sees, the context it ran with."""

    response: dict[str, Any]
    answer: Answer
    context: FakeContext

    @property
    def returned_in_time(self) -> bool:
        """Whether the handler returned before its context ran out of time."""
        return not self.context.expired


def invoke(
    handler: Callable[[Any, Any], dict[str, Any]],
    request: Request,
    *,
    source: str = "http-v2",
    seconds: float = 30.0,
) -> Invocation:
    context = FakeContext(seconds)
    response = handler(SOURCES[source](request), context)
    invocation = Invocation(response, read(response), context)
    return invocation


def publish(handler: LambdaHandler, stream: str, *datas: Any, source: str = "http-v2") -> list[str]:
    """Publish one ``metric`` event per item of ``datas`` in one batch; return their cursors."""
    body = json.dumps({"events": [{"type": "metric", "data": data} for data in datas]})
    request = Request(
        "POST",
        f"{stream_path(stream)}/events",
        headers={**HEADERS, "Content-Type": "application/json"},
        body=body.encode(),
    )
    answer = invoke(handler, request, source=source).answer
    assert answer.status == 201, answer.body
    ids: list[str] = answer.json()["ids"]
    return ids


def burst_request(
    stream: str, *, query: Mapping[str, str] | None = None, last_event_id: str | None = None
) -> Request:
    headers = dict(HEADERS)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return Request("GET", f"{stream_path(stream)}/events", query=query or {}, headers=headers)


def burst_of(answer: Answer) -> BurstResult:
    """A buffered burst's events, read back from one answer."""
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("text/event-stream")
    return BurstResult(answer.status, answer.sse())
