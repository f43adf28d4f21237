"""OpenAPI details the route signatures cannot express (the publish body is decoded by hand
so that ``data`` stays raw JSON; the SSE response is a stream, not a JSON model)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

from core.events import MAX_BATCH, MAX_DATA_BYTES, TYPE_PATTERN

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


@dataclass
class PublishOperation(Operation):
    """The publish operation, with its hand-decoded request body described."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=PUBLISH_BODY)}, required=True
        )


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
