"""The HTTP API under ``/api/v1`` (DESIGN.md, "Endpoints"). Routes stay thin: read the
request, call the domain, return its answer; errors are shaped in ``handlers.errors``.

SSE and history declare ``ticket`` so the schema shows it; ``handlers.requests`` reads it from
any route (see there why). Tickets are issued in ``handlers.tickets``; the fleet-wide limits
(connection leases, publish rate) are applied through ``handlers.limits``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import FromPath, HeaderParameter, QueryParameter

from core.access import Scope
from core.cursor import Cursor, parse_cursor, parse_start
from core.errors import InvalidInput
from core.events import AppendResult, decode_publish
from core.history import DEFAULT_LIMIT, MAX_LIMIT, MAX_WAIT_SECONDS, HistoryPage
from handlers.burst import BurstRequest
from handlers.history import HistoryQuery, load_page
from handlers.limits import LeasedResponse, leased, leased_burst, throttle
from handlers.metrics import metrics
from handlers.openapi import (
    BEARER,
    BEARER_OR_TICKET,
    PublishOperation,
    errors,
    sse_responses,
)
from handlers.requests import AnyRequest, admit, budget_of, mode_of, services_of
from handlers.tickets import issue_ticket

STREAM_PATH = "/tenants/{tenant:str}/streams/{stream:str}"
TICKET_MAX_LENGTH = 4096

Ticket = Annotated[
    str | None,
    QueryParameter(
        max_length=TICKET_MAX_LENGTH,
        description="an EventSource ticket from POST /tenants/{tenant}/tickets, instead of"
        " an Authorization header",
    ),
]


@get("/health", summary="Service and store health", tags=["health"], responses=errors(503))
async def health(request: AnyRequest) -> Response[dict[str, Any]]:
    """``200`` when the store answers within 200 ms, else ``503``; never needs credentials."""
    services = services_of(request)
    ok = await services.store_ok()
    body = {
        "status": "ok" if ok else "unavailable",
        "store": services.store,
        "live": {"listeners": services.hub.listeners, "streams": services.hub.streams},
    }
    headers = {} if ok else {"Retry-After": "1"}
    return Response(body, status_code=200 if ok else 503, headers=headers)


@post(
    f"{STREAM_PATH}/events",
    status_code=201,
    summary="Publish a batch of events",
    operation_class=PublishOperation,
    responses=errors(400, 401, 403, 413, 422, 429, 503),
    security=BEARER,
    tags=["events"],
)
async def publish(
    request: AnyRequest,
    tenant: FromPath[str],
    stream: FromPath[str],
    idempotency_key: Annotated[
        str | None, HeaderParameter(name="Idempotency-Key", min_length=1, max_length=255)
    ] = None,
) -> AppendResult:
    """Append 1..500 events atomically; a repeated ``Idempotency-Key`` appends nothing.

    A retry is answered from the first answer before the rate limit is consulted: a publish
    that already happened must not be refused for spending the budget twice.
    """
    admitted = await admit(request, tenant, stream, Scope.PUBLISH)
    events = decode_publish(await request.body())
    log = services_of(request).log
    if idempotency_key is not None:
        first = await log.replayed(admitted.tenant, admitted.stream, events, idempotency_key)
        if first is not None:
            return first
    await throttle(request, admitted.tenant, len(events))
    return await log.append(
        admitted.tenant, admitted.stream, events, idempotency_key=idempotency_key
    )


@get(
    f"{STREAM_PATH}/events",
    summary="An SSE burst",
    media_type="text/event-stream",
    responses={**sse_responses(), **errors(400, 401, 403, 429, 503)},
    security=BEARER_OR_TICKET,
    tags=["events"],
)
async def subscribe(
    request: AnyRequest,
    tenant: FromPath[str],
    stream: FromPath[str],
    cursor: Annotated[str | None, QueryParameter(max_length=128)] = None,
    max_seconds: Annotated[float | None, QueryParameter(gt=0, le=3600)] = None,
    last_event_id: Annotated[
        str | None, HeaderParameter(name="Last-Event-ID", max_length=128)
    ] = None,
    ticket: Ticket = None,
) -> LeasedResponse:
    """Stream events after the start cursor until the burst's deadline (or a batch).

    The burst holds a connection lease while it runs (``429`` when over a limit).
    """
    admitted = await admit(request, tenant, stream, Scope.SUBSCRIBE)
    field = "Last-Event-ID" if last_event_id else "cursor"
    start = parse_start(_first_of(last_event_id, cursor, "latest"), field=field)
    settings = services_of(request).settings
    burst_request = BurstRequest(
        tenant=admitted.tenant,
        stream=admitted.stream,
        start=start,
        mode=mode_of(request, settings),
        budget=budget_of(request, settings, max_seconds),
    )
    return await leased_burst(request, admitted, burst_request)


@get(
    f"{STREAM_PATH}/history",
    summary="A page of history",
    responses=errors(400, 401, 403, 410, 429, 503),
    security=BEARER_OR_TICKET,
    tags=["events"],
)
async def history(
    request: AnyRequest,
    tenant: FromPath[str],
    stream: FromPath[str],
    after: Annotated[str | None, QueryParameter(max_length=128)] = None,
    before: Annotated[str | None, QueryParameter(max_length=128)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    wait: Annotated[float, QueryParameter(ge=0, le=MAX_WAIT_SECONDS)] = 0,
    ticket: Ticket = None,
) -> HistoryPage:
    """Newest events, or those after/before a cursor; ``wait`` long-polls with ``after``.

    A long-poll holds a connection lease while it waits, like a burst (``429`` over a limit).
    """
    admitted = await admit(request, tenant, stream, Scope.SUBSCRIBE)
    services = services_of(request)
    query = HistoryQuery(
        tenant=admitted.tenant,
        stream=admitted.stream,
        after=None if after is None else parse_start(after, field="after"),
        before=_before(before, after, wait),
        limit=limit,
        wait_seconds=_wait_seconds(request, wait),
        max_bytes=services.settings.burst_max_bytes,
    )
    if query.wait_seconds <= 0:
        return await load_page(query, services.log, services.hub)
    async with leased(request, admitted, query.wait_seconds):
        return await load_page(query, services.log, services.hub)


def _first_of(*values: str | None) -> str:
    """The first value given at all (an empty ``cursor=`` is given, and malformed)."""
    return next(value for value in values if value is not None)


def _before(before: str | None, after: str | None, wait: float) -> Cursor | None:
    if before is not None and after is not None:
        raise InvalidInput("use either 'after' or 'before', not both", code="invalid_query")
    if wait > 0 and after is None:
        raise InvalidInput("'wait' needs 'after'", code="invalid_query")
    return None if before is None else parse_cursor(before, field="before")


def _wait_seconds(request: AnyRequest, wait: float) -> float:
    if wait <= 0:
        return 0.0
    settings = services_of(request).settings
    budget = budget_of(request, settings, wait)
    return budget.seconds(mode_of(request, settings))


ROUTES = [health, publish, subscribe, history, issue_ticket, metrics]
