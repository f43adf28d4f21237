"""``burstream gateway``: API Gateway's HTTP API on localhost, in front of the real Lambda handler.

Each request becomes an HTTP API (payload 2.0) event (``handlers.gateway_events``) and goes to a
Lambda container: an instance of ``handlers.lambda_http.LambdaHandler``, the class of the
deployed ``handler``, run in a worker thread with a context whose remaining time counts down
from the function timeout. As on Lambda, a container serves one invocation at a time and stays
warm; a request that finds every container busy gets a new one, up to the concurrency limit.

Enforced as AWS does, with AWS's answers:
- the integration timeout: past it the client gets ``503`` while the invocation runs on;
- the function timeout: an invocation still running when its context runs out is treated as
  killed (``500``) and its container is discarded once it returns;
- the payload limit, 6 MB each way: a bigger event is ``413``, a bigger response ``500``;
- the concurrency limit: ``429``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.gateway_events import Reply, gateway_error, http_reply, http_v2_event

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024


class Function(Protocol):
    """A Lambda container: the handler of one execution environment."""

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    """The deployment's limits; the defaults are serverless.yml's buffered function on HTTP API."""

    function_timeout_seconds: float = 29.0
    integration_timeout_seconds: float = 30.0
    payload_bytes: int = LAMBDA_PAYLOAD_BYTES
    concurrency: int = 10


class LocalContext:
    """A Lambda context whose remaining time counts down from the function timeout."""

    function_name = "burstream-local"
    function_version = "$LATEST"
    memory_limit_in_mb = "1024"
    invoked_function_arn = "arn:aws:lambda:local:123456789012:function:burstream-local"
    log_group_name = "/aws/lambda/burstream-local"
    log_stream_name = "local"

    def __init__(self, timeout_seconds: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    @property
    def expired(self) -> bool:
        """No milliseconds left: the measure Lambda's own ``get_remaining_time_in_millis`` gives."""
        return self.get_remaining_time_in_millis() <= 0


@dataclass(frozen=True, slots=True)
class _Outcome:
    reply: Reply
    killed: bool = False


class Gateway:
    """The ASGI app: HTTP in, Lambda events to warm containers, HTTP out."""

    def __init__(
        self,
        make_function: Callable[[], Function],
        limits: GatewayLimits | None = None,
        *,
        warm: tuple[Function, ...] = (),
    ) -> None:
        self._make = make_function
        self._limits = limits = limits or GatewayLimits()
        self._idle = list(warm)
        self._count = len(warm)
        self._running: set[asyncio.Future[_Outcome]] = set()
        self._workers = ThreadPoolExecutor(limits.concurrency, thread_name_prefix="lambda")

    @property
    def containers(self) -> int:
        """Containers alive (idle or busy)."""
        return self._count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            reply = await self._handle(scope, receive)
            await _send(send, reply)

    async def close(self) -> None:
        """Let running invocations end (they are bounded by the function timeout), close every
        container, stop the workers."""
        if self._running:
            await asyncio.wait(self._running, timeout=self._limits.function_timeout_seconds + 1)
        idle, self._idle = self._idle, []
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._workers, f.close) for f in idle))
        self._count -= len(idle)
        self._workers.shutdown(wait=True)

    async def _handle(self, scope: Scope, receive: Receive) -> Reply:
        body = await _read_body(receive, self._limits.payload_bytes)
        if body is None:
            return gateway_error(413)
        event = http_v2_event(scope, body)
        if len(json.dumps(event).encode()) > self._limits.payload_bytes:
            return gateway_error(413)
        function = self._acquire()
        if function is None:
            return gateway_error(429)
        return await self._invoke(function, event)

    async def _invoke(self, function: Function, event: dict[str, Any]) -> Reply:
        context = LocalContext(self._limits.function_timeout_seconds)
        loop = asyncio.get_running_loop()
        running = loop.run_in_executor(self._workers, self._run, function, event, context)
        self._running.add(running)
        running.add_done_callback(lambda done: self._release(function, done))
        try:
            async with asyncio.timeout(self._limits.integration_timeout_seconds):
                outcome = await asyncio.shield(running)
        except TimeoutError:
            log.error("integration timeout: the function did not answer in time (503)")
            return gateway_error(503)
        return outcome.reply

    def _run(self, function: Function, event: dict[str, Any], context: LocalContext) -> _Outcome:
        """One invocation, in a worker thread; what Lambda would make of it."""
        try:
            response = function(event, context)
        except Exception:
            log.exception("the function raised (500)")
            return _Outcome(gateway_error(500), killed=context.expired)
        if context.expired:
            log.error("Task timed out after %.1f s (500)", self._limits.function_timeout_seconds)
            return _Outcome(gateway_error(500), killed=True)
        size = len(json.dumps(response, ensure_ascii=False).encode())
        if size > self._limits.payload_bytes:
            log.error(
                "response payload is %d bytes, over %d (500)", size, self._limits.payload_bytes
            )
            return _Outcome(gateway_error(500))
        return _Outcome(http_reply(response))

    def _acquire(self) -> Function | None:
        if self._idle:
            return self._idle.pop()
        if self._count >= self._limits.concurrency:
            return None
        self._count += 1
        return self._make()

    def _release(self, function: Function, done: asyncio.Future[_Outcome]) -> None:
        self._running.discard(done)
        failed = done.cancelled() or done.exception() is not None
        if not failed and not done.result().killed:
            self._idle.append(function)
            return
        self._count -= 1
        self._workers.submit(function.close)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None once it passes ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(parts)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


async def _send(send: Send, reply: Reply) -> None:
    headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body, "more_body": False})


def serve(gateway: Gateway, limits: GatewayLimits, host: str, port: int) -> None:
    """Serve ``gateway`` with uvicorn; print the URL first (``port`` 0 picks a free one)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"burstream gateway: http://{shown}:{bound}/api/v1 -> handlers.lambda_http.handler"
        f" (HTTP API payload 2.0; function timeout {limits.function_timeout_seconds:g} s,"
        f" integration timeout {limits.integration_timeout_seconds:g} s,"
        f" payload limit {limits.payload_bytes} bytes, up to {limits.concurrency} containers)",
        flush=True,
    )
    config = uvicorn.Config(gateway, log_level="info", lifespan="on", timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])
