"""``POST /tenants/{t}/tickets``: trade a bearer token for an EventSource ticket.

The body is decoded by hand after authentication, so an anonymous caller learns nothing but
``401`` (a framework-decoded body would be validated first). What a ticket may grant is decided
in ``core.tickets``; signing is ``infra.tokens.TicketSigner``.
"""

from __future__ import annotations

import time

from litestar import post
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath

from core.names import STREAM_PATTERN, tenant_name
from core.tickets import MAX_STREAMS, IssuedTicket, decode_request, grant, issued, may_issue
from handlers.openapi import BEARER, body_operation, errors
from handlers.requests import AnyRequest, authenticate, services_of

TICKET_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["streams"],
    additional_properties=False,
    properties={
        "streams": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING, pattern=STREAM_PATTERN),
            min_items=1,
            max_items=MAX_STREAMS,
            description="exact stream names, each allowed by the bearer token",
        ),
        "ttl_seconds": Schema(
            type=OpenAPIType.INTEGER,
            minimum=1,
            description="requested life; capped by the server's maximum and the token's expiry",
        ),
    },
)


TicketOperation = body_operation(TICKET_BODY)


@post(
    "/tenants/{tenant:str}/tickets",
    status_code=201,
    summary="Trade a bearer token for a short-lived, subscribe-only EventSource ticket",
    operation_class=TicketOperation,
    responses=errors(400, 401, 403, 422, 503),
    security=BEARER,
    tags=["auth"],
)
async def issue_ticket(request: AnyRequest, tenant: FromPath[str]) -> IssuedTicket:
    """A ticket for ``?ticket=`` on the SSE and history endpoints of the listed streams."""
    principal = await authenticate(request)
    tenant = tenant_name(tenant)
    may_issue(principal, tenant)
    ask = decode_request(await request.body())
    services = services_of(request)
    max_ttl = services.settings.ticket_max_ttl_seconds
    granted = grant(principal, tenant, ask, max_ttl=max_ttl, now=int(time.time()))
    return issued(services.tickets.sign(granted), granted)
