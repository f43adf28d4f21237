"""The AWS Lambda entry point: ``handler(event, context)``, Mangum around the same app.

Works for API Gateway REST (v1), HTTP API (v2), ALB and function URL events alike (Mangum picks
the shape). Every response is buffered, so bursts run in buffered mode (``aws.context`` is in
the scope) and end at their first batch, their byte cap or their deadline, which
``handlers.requests.budget_of`` takes from the invocation's remaining time.

A warm container keeps one ``_Container``: settings, the JWT secret, the Redis clients, the app,
the Mangum adapter and the event loop they all belong to. It is built on the first invocation,
not at import, and reused until the container dies; Mangum runs with ``lifespan="off"`` so
nothing starts or stops per request. Redis connections stay open across invocations.

Timing rules:
- The loop only runs while an invocation does. After the app answers, what it left behind (the
  live hub's reader, stopping after its last listener; the hub's wake-up write) gets a short,
  bounded time to finish, then is cancelled: nothing may sit half-way through a Redis call
  while Lambda freezes the process.
- That settling, like the burst, fits inside the invocation: it takes at most half of the time
  the context has left, and the burst's deadline already kept ``DEADLINE_MARGIN_MS`` free.
- A buffered answer is one Lambda response payload (6 MB). The SSE body is JSON-escaped in it
  (``"`` and ``\\`` double in the worst case), so bursts here are capped at
  ``BUFFERED_MAX_BYTES`` whatever ``BURSTREAM_BURST_MAX_BYTES`` says.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from mangum import Mangum
from mangum.types import ASGI, LambdaContext, LambdaEvent

from handlers.app import create_app
from handlers.bootstrap import Services, build_services
from infra.settings import Settings

log = logging.getLogger(__name__)

BUFFERED_MAX_BYTES = 2_500_000
"""Twice this, plus one 64 KiB event and the envelope, stays under Lambda's 6 MB response."""

_SETTLE_SECONDS = 0.5


@dataclass(slots=True)
class _Container:
    """Everything one warm container reuses across invocations."""

    loop: asyncio.AbstractEventLoop
    services: Services
    adapter: Mangum


class LambdaHandler:
    """``handler(event, context)``: builds its container on the first call, then reuses it."""

    def __init__(self, settings: Callable[[], Settings] = Settings.from_env) -> None:
        self._settings = settings
        self._container: _Container | None = None

    @property
    def services(self) -> Services | None:
        """The warm container's services, None before the first invocation."""
        return None if self._container is None else self._container.services

    def __call__(self, event: LambdaEvent, context: LambdaContext) -> dict[str, Any]:
        container = self._warm()
        asyncio.set_event_loop(container.loop)
        try:
            response: dict[str, Any] = container.adapter(event, context)
        finally:
            if leftovers := asyncio.all_tasks(container.loop):
                container.loop.run_until_complete(_settle(leftovers, _settle_seconds(context)))
        return response

    def close(self) -> None:
        """Close the Redis clients and the loop (a gateway shutting down, a test ending)."""
        container, self._container = self._container, None
        if container is None:
            return
        try:
            container.loop.run_until_complete(container.services.aclose())
            container.loop.run_until_complete(container.loop.shutdown_asyncgens())
        finally:
            container.loop.close()
            asyncio.set_event_loop(None)

    def warm(self) -> None:
        """Build the container now if there is none (Lambda's init phase; the gateway's start)."""
        self._warm()

    def _warm(self) -> _Container:
        if self._container is None:
            self._container = _build(self._settings())
        return self._container


def _build(settings: Settings) -> _Container:
    """A new container; a failure leaves nothing behind, so the next invocation retries."""
    settings = _for_lambda(settings)
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        services = build_services(settings, on_lambda=True)
        app = cast(ASGI, create_app(settings, services))
        adapter = Mangum(app, lifespan="off")
    except BaseException:
        asyncio.set_event_loop(None)
        loop.close()
        raise
    log.info("burstream: container ready (store %s)", services.store)
    return _Container(loop, services, adapter)


def _for_lambda(settings: Settings) -> Settings:
    if settings.burst_max_bytes <= BUFFERED_MAX_BYTES:
        return settings
    log.info(
        "burstream: buffered bursts capped at %d bytes (Lambda's 6 MB response), not %d",
        BUFFERED_MAX_BYTES,
        settings.burst_max_bytes,
    )
    return msgspec.structs.replace(settings, burst_max_bytes=BUFFERED_MAX_BYTES)


def _settle_seconds(context: LambdaContext) -> float:
    remaining = context.get_remaining_time_in_millis() / 1000
    return max(0.0, min(_SETTLE_SECONDS, remaining / 2))


async def _settle(leftovers: set[asyncio.Task[Any]], seconds: float) -> None:
    """Give the invocation's leftover tasks ``seconds`` to finish, then cancel the rest."""
    if seconds > 0:
        _, leftovers = await asyncio.wait(leftovers, timeout=seconds)
    for task in leftovers:
        task.cancel()
    if leftovers:
        log.warning(
            "burstream: cancelled %d task(s) left at the end of an invocation", len(leftovers)
        )
        await asyncio.gather(*leftovers, return_exceptions=True)


handler = LambdaHandler()
"""The function's handler (``handlers/lambda_http.handler`` in serverless.yml)."""
