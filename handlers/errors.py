"""The one place errors become HTTP responses: ``{"error": <code>, "detail": <text>, ...}``.

Status codes are chosen here and nowhere else. Framework errors (unknown route, bad query
value, oversized body) are reshaped into the same body, so every client sees one format, and
anything unexpected is logged and answered ``500`` without leaking internals.

Every ``401`` and ``403`` passes through here, so this is where they are counted by reason
(``handlers.metrics``): no route can refuse a caller without it showing.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from core.errors import (
    BurstreamError,
    CursorGone,
    Forbidden,
    InvalidBody,
    InvalidInput,
    PayloadTooLarge,
    StoreUnavailable,
    TooManyRequests,
    Unauthorized,
)
from handlers.metrics import SecurityMetrics

log = logging.getLogger(__name__)

STATUS: dict[type[BurstreamError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    CursorGone: 410,
    PayloadTooLarge: 413,
    InvalidBody: 422,
    TooManyRequests: 429,
    StoreUnavailable: 503,
}

_FRAMEWORK_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True):
    """Every error's JSON body (and its OpenAPI schema); fields that do not apply are absent."""

    error: str
    detail: str
    reason: str | None = None
    oldest: str | None = None
    head: str | None = None
    fields: list[dict[str, Any]] | None = None


def error_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[ErrorBody]:
    """A JSON error in the one shape every endpoint uses."""
    body = ErrorBody(error=code, detail=detail, **extra)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def on_burstream_error(request: Request[Any, Any, Any], exc: BurstreamError) -> Response[Any]:
    status = STATUS.get(type(exc), 400)
    headers: dict[str, str] = {}
    if isinstance(exc, TooManyRequests | StoreUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="burstream"'
    if isinstance(exc, Unauthorized | Forbidden):
        _count_refusal(request, status, exc.code)
    return error_response(status, exc.code, exc.detail, headers, **exc.extra())


def _count_refusal(request: Request[Any, Any, Any], status: int, reason: str) -> None:
    metrics = request.app.state.get("metrics")
    if isinstance(metrics, SecurityMetrics):
        metrics.refused(request, status, reason)


def on_validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    fields = exc.extra if isinstance(exc.extra, list) else []
    return error_response(400, "invalid_request", _describe(fields) or exc.detail, fields=fields)


def on_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = _FRAMEWORK_CODES.get(exc.status_code, "http_error")
    if exc.status_code >= 500:
        log.error("framework error %s: %s", exc.status_code, exc.detail)
        return error_response(exc.status_code, "internal_error", "internal error")
    return error_response(exc.status_code, code, exc.detail, exc.headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error")


def _describe(fields: list[Any]) -> str:
    parts = [
        f"{item.get('key')}: {item.get('message')}"
        for item in fields
        if isinstance(item, dict) and item.get("key")
    ]
    return "; ".join(parts)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    BurstreamError: on_burstream_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
