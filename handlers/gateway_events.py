"""What API Gateway's HTTP API does to a request and a response, as payload format 2.0.

Going in: header names lower-cased, repeated headers joined with commas, cookies passed apart
(``cookies``), the query string both raw and parsed (repeated keys joined with commas), a body
that is not text base64-encoded. Coming out: ``statusCode``/``headers``/``cookies``/``body``/
``isBase64Encoded`` back to plain HTTP; an answer without ``statusCode`` is a JSON body with
``200``, as HTTP API infers it. Failures of the gateway itself are its own small JSON answers.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

Headers = list[tuple[bytes, bytes]]

_TEXT_TYPES = ("text/", "application/json", "+json", "application/x-www-form-urlencoded", "xml")


@dataclass(frozen=True, slots=True)
class Reply:
    """A plain HTTP answer, ready for ASGI."""

    status: int
    headers: Headers
    body: bytes


GATEWAY_ERRORS = {
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def gateway_error(status: int) -> Reply:
    """The answer HTTP API gives itself (the function's own answer never got through)."""
    body = json.dumps({"message": GATEWAY_ERRORS[status]}).encode()
    return Reply(status, [(b"content-type", b"application/json")], body)


def http_v2_event(scope: Mapping[str, Any], body: bytes) -> dict[str, Any]:
    """The event HTTP API would send the function for this ASGI request."""
    headers, cookies = _headers(scope["headers"])
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": _request_context(scope, headers, raw_path),
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = _joined(parse_qsl(query, keep_blank_values=True))
    if body:
        text = _as_text(body, headers.get("content-type", ""))
        event["body"] = text if text is not None else base64.b64encode(body).decode()
        event["isBase64Encoded"] = text is None
    return event


def http_reply(response: Mapping[str, Any]) -> Reply:
    """The plain HTTP answer for a function's payload-2.0 response."""
    if "statusCode" not in response:
        return Reply(200, [(b"content-type", b"application/json")], json.dumps(response).encode())
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    headers = [
        (name.lower().encode(), str(value).encode())
        for name, value in (response.get("headers") or {}).items()
        if name.lower() != "content-length"
    ]
    headers += [(b"set-cookie", cookie.encode()) for cookie in response.get("cookies") or ()]
    return Reply(int(response["statusCode"]), headers, body)


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[dict[str, str], list[str]]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name_bytes, value_bytes in raw:
        name, value = name_bytes.decode("latin-1").lower(), value_bytes.decode("latin-1")
        if name == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
        else:
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers, cookies


def _request_context(
    scope: Mapping[str, Any], headers: Mapping[str, str], raw_path: str
) -> dict[str, Any]:
    host = headers.get("host", "localhost").split(":")[0]
    client = scope.get("client") or ("127.0.0.1", 0)
    now = time.time()
    return {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "http": {
            "method": scope["method"],
            "path": raw_path,
            "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
            "sourceIp": client[0],
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _as_text(body: bytes, content_type: str) -> str | None:
    if not any(kind in content_type for kind in _TEXT_TYPES):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None
