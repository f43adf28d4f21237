"""An ASGI response that streams a burst's chunks and frees everything when either side stops.

Two tasks run side by side: one pumps chunks to ``send``, one waits for ``http.disconnect``.
Whichever finishes first cancels the other, and the burst's generator is closed in a
``finally``, so a client that goes away releases its listener at once. Every ``send`` is
bounded: a client that stops reading cannot hold the burst past its deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable

from litestar.types import HTTPResponseStartEvent, Receive, Scope, Send

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-store"),
    (b"x-accel-buffering", b"no"),
]
_SEND_GRACE_SECONDS = 5.0

log = logging.getLogger(__name__)


class SSEResponse:
    """Streams ``frames``; ``deadline`` (on ``clock``) bounds every send."""

    def __init__(
        self,
        frames: AsyncGenerator[bytes, None],
        *,
        deadline: float,
        clock: Callable[[], float],
    ) -> None:
        self._frames = frames
        self._deadline = deadline
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 200,
            "headers": list(HEADERS),
        }
        await send(start)
        pump = asyncio.create_task(self._pump(send))
        watch = asyncio.create_task(_until_disconnect(receive))
        try:
            await asyncio.wait((pump, watch), return_when=asyncio.FIRST_COMPLETED)
        finally:
            watch.cancel()
            pump.cancel()
            await asyncio.gather(pump, watch, return_exceptions=True)
            await self._frames.aclose()
        if pump.done() and not pump.cancelled() and (error := pump.exception()) is not None:
            raise error

    async def _pump(self, send: Send) -> None:
        try:
            async for chunk in self._frames:
                await self._send(send, chunk, more=True)
            await self._send(send, b"", more=False)
        except TimeoutError:
            log.info("client stopped reading; burst abandoned at its deadline")

    async def _send(self, send: Send, body: bytes, *, more: bool) -> None:
        budget = max(self._deadline - self._clock(), 0.0) + _SEND_GRACE_SECONDS
        async with asyncio.timeout(budget):
            await send({"type": "http.response.body", "body": body, "more_body": more})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
