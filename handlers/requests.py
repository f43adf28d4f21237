"""What every route reads from a request: the caller, the names, the mode and time budget.

Authentication happens before names are checked, so an anonymous caller learns nothing but
``401``; authorisation (tenant, scope, stream) follows the name checks.

Under the Lambda Web Adapter (the streaming shape), there is no ``aws.context``: the adapter
forwards the invocation's context as JSON in the ``x-amzn-lambda-context`` header, whose
``deadline`` is the epoch millisecond at which Lambda stops the function. It is read only when
the process runs on Lambda; anywhere else a client could merely shorten its own burst with it.

A caller is either a bearer token (``Authorization``) or an EventSource ticket (``?ticket=``),
never both: two credentials that might disagree are refused rather than ranked. A ticket is
honoured wherever it is presented and then held to its subscribe-only scope, so a ticket used
to publish is a ``403`` that is counted as such, not an anonymous ``401``.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any, NamedTuple

from litestar import Request

from core.access import Principal, Scope, authorize
from core.errors import InvalidInput, Unauthorized
from core.names import stream_name, tenant_name
from core.policy import Budget, Mode
from handlers.bootstrap import Services
from infra.settings import Settings

AnyRequest = Request[Any, Any, Any]


def services_of(request: AnyRequest) -> Services:
    services: Services = request.app.state["services"]
    return services


class Admitted(NamedTuple):
    """A caller allowed to use a scope on a stream, with the (checked) names."""

    principal: Principal
    tenant: str
    stream: str


async def authenticate(request: AnyRequest) -> Principal:
    """The verified caller of ``request``; ``Unauthorized`` without valid credentials."""
    header = request.headers.get("authorization")
    ticket = request.query_params.get("ticket")
    if ticket is not None:
        if header is not None:
            raise Unauthorized(
                "send a bearer token or a ticket, not both", code="ambiguous_credentials"
            )
        return services_of(request).tickets.verify(ticket)
    if header is None:
        raise Unauthorized("missing Authorization header", code="missing_credentials")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'", code="invalid_credentials")
    return await services_of(request).verifier.averify(token.strip())


async def admit(request: AnyRequest, tenant: str, stream: str, scope: Scope) -> Admitted:
    """Authenticate, check the names, authorise; return the caller and the (valid) names."""
    principal = await authenticate(request)
    _single_valued(request)
    tenant, stream = tenant_name(tenant), stream_name(stream)
    authorize(principal, tenant, scope, stream)
    return Admitted(principal, tenant, stream)


def _single_valued(request: AnyRequest) -> None:
    """Refuse a repeated query parameter: which of two cursors (or tickets) was meant?"""
    for name in request.query_params:
        if len(request.query_params.getall(name)) > 1:
            raise InvalidInput(f"query parameter {name!r} is repeated", code="invalid_query")


def mode_of(request: AnyRequest, settings: Settings) -> Mode:
    """Buffered under Mangum (the scope carries ``aws.context``), else streaming."""
    if settings.sse_mode != "auto":
        return Mode(settings.sse_mode)
    return Mode.BUFFERED if "aws.context" in request.scope else Mode.STREAMING


def budget_of(request: AnyRequest, settings: Settings, max_seconds: float | None) -> Budget:
    """The inputs to the deadline, including the Lambda invocation's remaining time."""
    return Budget(
        burst_seconds=settings.burst_seconds,
        margin_ms=settings.deadline_margin_ms,
        max_seconds=max_seconds,
        remaining_ms=_remaining_ms(request),
        gateway_timeout_seconds=settings.gateway_timeout_seconds,
        spread=random.random(),
    )


def _remaining_ms(request: AnyRequest) -> int | None:
    context = request.scope.get("aws.context")
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        return int(remaining())
    if services_of(request).on_lambda:
        return _adapter_remaining_ms(request.headers.get("x-amzn-lambda-context"))
    return None


def _adapter_remaining_ms(header: str | None) -> int | None:
    """Milliseconds left in the invocation, from the Lambda Web Adapter's context header."""
    try:
        context = json.loads(header) if header else None
    except ValueError:
        return None
    if not isinstance(context, dict):
        return None
    deadline = context.get("deadline", context.get("deadline_ms"))
    if not isinstance(deadline, int | float) or isinstance(deadline, bool):
        return None
    return int(deadline - time.time() * 1000)
