"""OpenAPI details the route signatures cannot express: the publish body (decoded by hand so
that ``data`` stays raw JSON), the SSE stream, the error answers and the credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    Operation,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from core.events import MAX_BATCH, MAX_DATA_BYTES, TYPE_PATTERN
from handlers.errors import ErrorBody

_EVENT = Schema(
    type=OpenAPIType.OBJECT,
    required=["data"],
    additional_properties=False,
    properties={
        "type": Schema(
            type=OpenAPIType.STRING,
            pattern=TYPE_PATTERN,
            default="message",
            description="not 'ready', 'burst-end' or 'reset'",
        ),
        "data": Schema(description=f"any JSON value, at most {MAX_DATA_BYTES} bytes encoded"),
    },
)

PUBLISH_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["events"],
    additional_properties=False,
    properties={
        "events": Schema(type=OpenAPIType.ARRAY, items=_EVENT, min_items=1, max_items=MAX_BATCH)
    },
)


def body_operation(schema: Schema) -> type[Operation]:
    """An ``operation_class`` describing a request body that the route decodes by hand."""

    @dataclass
    class BodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/json": OpenAPIMediaType(schema=schema)}, required=True
            )

    return BodyOperation


PublishOperation = body_operation(PUBLISH_BODY)


def sse_responses() -> dict[int, ResponseSpec]:
    """The SSE endpoint's documented answers besides the stream itself."""
    return {
        200: ResponseSpec(
            data_container=str,
            media_type="text/event-stream",
            description="an SSE burst: ready, events, reset, heartbeats, burst-end",
            generate_examples=False,
        )
    }


_ERRORS = {
    400: "a malformed name, cursor or query value (`error` says which)",
    401: "credentials missing or invalid (`WWW-Authenticate: Bearer`)",
    403: "valid credentials, but not for this tenant, scope or stream",
    410: "`after` can no longer be honoured: `reason`, `oldest`, `head` say why and where to go",
    413: "the body, an event or a batch is too large",
    422: "the body does not match the schema (`detail` names the field)",
    429: "over a connection lease or the publish rate (`Retry-After`)",
    503: "the store (or the identity provider's keys) did not answer (`Retry-After`)",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error answers of a route, all in the one ``ErrorBody`` shape."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=_ERRORS[status], generate_examples=False
        )
        for status in statuses
    }


SECURITY_SCHEMES: dict[str, SecurityScheme | Any] = {
    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
    "ticket": SecurityScheme(
        type="apiKey",
        name="ticket",
        security_scheme_in="query",
        description="an EventSource ticket from POST /tenants/{tenant}/tickets",
    ),
}
BEARER: list[SecurityRequirement] = [{"bearer": []}]
BEARER_OR_TICKET: list[SecurityRequirement] = [{"bearer": []}, {"ticket": []}]
