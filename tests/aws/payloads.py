"""Lambda events as each source sends them (one builder per source, as in Mangum's own tests),
and one reader that turns any source's answer back into a status, headers and a body.

The shapes follow AWS's documented examples: REST API (payload v1) keeps the client's header
casing and decodes the query; HTTP API and function URLs (payload v2) lower-case header names,
join repeated headers with commas, carry cookies apart and pass the raw query string; an ALB
passes the query as received (still URL-encoded) and, with multi-value headers enabled, only
``multiValueHeaders``/``multiValueQueryStringParameters``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from httpx_sse import EventSource, ServerSentEvent

ACCOUNT = "123456789012"
SOURCE_IP = "203.0.113.7"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) burstream-tests"

Event = dict[str, Any]


@dataclass(frozen=True)
class Request:
    """An HTTP request as a client made it, before a source turns it into an event."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    base64: bool = False

    def encoded_body(self) -> str | None:
        if self.body is None:
            return None
        return base64.b64encode(self.body).decode() if self.base64 else self.body.decode()


def rest_v1(request: Request) -> Event:
    """API Gateway REST API, Lambda proxy integration on ``/{proxy+}``, stage ``prod``."""
    host = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    headers = {"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
    headers |= {"User-Agent": USER_AGENT, "X-Forwarded-For": SOURCE_IP, **request.headers}
    query = dict(request.query) or None
    return {
        "resource": "/{proxy+}",
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": _multi(query),
        "pathParameters": {"proxy": request.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "a1b2c3d4e5",
            "domainName": host,
            "domainPrefix": "a1b2c3d4e5",
            "extendedRequestId": uuid.uuid4().hex[:16],
            "httpMethod": request.method,
            "identity": {"sourceIp": SOURCE_IP, "userAgent": USER_AGENT},
            "path": f"/prod{request.path}",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "resourceId": "x1y2z3",
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": request.encoded_body(),
        "isBase64Encoded": request.base64,
    }


def http_v2(request: Request) -> Event:
    """API Gateway HTTP API, payload format 2.0, the ``$default`` route."""
    return _v2(request, "f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com")


def function_url(request: Request) -> Event:
    """A Lambda function URL (payload format 2.0, ``AuthType: NONE``)."""
    return _v2(request, "k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6.lambda-url.eu-west-1.on.aws")


def alb(request: Request, *, multi_value: bool = False) -> Event:
    """An Application Load Balancer target group with a Lambda target."""
    host = "burstream-alb-1234567890.eu-west-1.elb.amazonaws.com"
    headers = {"host": host, "x-forwarded-proto": "https", "x-forwarded-port": "443"}
    headers |= {"user-agent": USER_AGENT, "x-forwarded-for": SOURCE_IP}
    headers |= {name.lower(): value for name, value in request.headers.items()}
    query = {quote(name): quote(value, safe="") for name, value in request.query.items()}
    event: Event = {
        "requestContext": {
            "elb": {
                "targetGroupArn": f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:"
                "targetgroup/burstream/49e9d65c45c6791a"
            }
        },
        "httpMethod": request.method,
        "path": request.path,
        "body": request.encoded_body() or "",
        "isBase64Encoded": request.base64,
    }
    if multi_value:
        event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
        event["multiValueQueryStringParameters"] = _multi(query) or {}
    else:
        event["headers"] = headers
        event["queryStringParameters"] = query
    return event


def alb_multi_value(request: Request) -> Event:
    return alb(request, multi_value=True)


SOURCES: dict[str, Callable[[Request], Event]] = {
    "rest-v1": rest_v1,
    "http-v2": http_v2,
    "alb": alb,
    "alb-multi-value": alb_multi_value,
    "function-url": function_url,
}


def _v2(request: Request, host: str) -> Event:
    headers = {"host": host, "x-forwarded-proto": "https", "x-forwarded-port": "443"}
    headers |= {"user-agent": USER_AGENT, "x-forwarded-for": SOURCE_IP}
    headers |= {name.lower(): value for name, value in request.headers.items()}
    cookies = headers.pop("cookie", None)
    now = time.time()
    event: Event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path,
        "rawQueryString": urlencode(request.query),
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": host.split(".")[0],
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": USER_AGENT,
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": request.base64,
    }
    if request.query:
        event["queryStringParameters"] = dict(request.query)
    if cookies:
        event["cookies"] = cookies.split("; ")
    if request.body is not None:
        event["body"] = request.encoded_body()
    return event


def _multi(query: Mapping[str, str] | None) -> dict[str, list[str]] | None:
    return None if query is None else {name: [value] for name, value in query.items()}


@dataclass(frozen=True)
class Answer:
    """A handler's response as the client sees it, whatever the source."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def sse(self) -> list[ServerSentEvent]:
        """The body's events, parsed by httpx-sse; heartbeat comments are not events."""
        response = httpx.Response(200, headers=self.headers, content=self.body)
        return [event for event in EventSource(response).iter_sse() if event.data]


def read(response: Mapping[str, Any]) -> Answer:
    """Read a handler's answer in any of the sources' formats."""
    headers = {name.lower(): str(value) for name, value in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(values)
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    return Answer(int(response["statusCode"]), headers, body)


def size(response: Mapping[str, Any]) -> int:
    """The bytes Lambda returns for ``response`` (python3.12+ runtimes keep non-ASCII as is)."""
    return len(json.dumps(response, ensure_ascii=False).encode())
