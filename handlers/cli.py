"""The ``burstream`` command: ``serve``, ``gateway``, ``token``, ``publish``, ``tail``.

``gateway`` runs the Lambda path on a laptop: HTTP API events, the real Mangum handler, the
function and integration timeouts and the payload limit (``handlers.gateway``).

``tail`` follows a stream the way any client should: burst after burst, resuming each from the
last ``id:`` it saw (``Last-Event-ID``), waiting ``retry_ms`` between bursts, and saying so
when the server announces a ``reset``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence

import httpx
from httpx_sse import ServerSentEvent, connect_sse

from infra.settings import Settings, SettingsError
from infra.tokens import TokenVerifier

DEFAULT_URL = "http://127.0.0.1:8000"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except SettingsError as exc:
        print(f"burstream: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="burstream", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)
    _gateway_args(commands)
    token = commands.add_parser("token", help="mint a dev token with BURSTREAM_JWT_SECRET")
    token.add_argument("--tenant", action="append", required=True, help="repeat for more")
    token.add_argument("--scope", default="publish subscribe")
    token.add_argument("--subject", default="dev")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds")
    token.add_argument("--stream", action="append", help="stream glob the token may touch")
    token.set_defaults(run=_token)
    publish = commands.add_parser("publish", help="publish one event")
    _client_args(publish)
    publish.add_argument("--type", default="message")
    publish.add_argument("data", help="the event's data, as JSON")
    publish.set_defaults(run=_publish)
    tail = commands.add_parser("tail", help="follow a stream across bursts")
    _client_args(tail)
    tail.add_argument("--from", dest="start", default="latest", help="earliest|latest|CURSOR")
    tail.add_argument("--bursts", type=int, default=0, help="stop after N bursts (0: never)")
    tail.set_defaults(run=_tail)
    return parser


def _gateway_args(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from handlers.gateway import GatewayLimits

    defaults = GatewayLimits()
    gateway = commands.add_parser(
        "gateway", help="serve the Lambda handler behind a local API Gateway (HTTP API)"
    )
    gateway.add_argument("--host", default="127.0.0.1")
    gateway.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    gateway.add_argument(
        "--function-timeout", type=float, default=defaults.function_timeout_seconds, help="s"
    )
    gateway.add_argument(
        "--integration-timeout", type=float, default=defaults.integration_timeout_seconds, help="s"
    )
    gateway.add_argument("--payload-limit", type=int, default=defaults.payload_bytes, help="bytes")
    gateway.add_argument("--concurrency", type=int, default=defaults.concurrency)
    gateway.set_defaults(run=_gateway)


def _client_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=os.environ.get("BURSTREAM_URL", DEFAULT_URL))
    parser.add_argument("--token", default=os.environ.get("BURSTREAM_TOKEN"))
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--stream", required=True)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from handlers.app import create_app
    from handlers.logs import uvicorn_log_config

    settings = Settings.from_env()
    store = "embedded (in-process, nothing kept on exit)" if settings.embedded else "redis"
    print(f"burstream: store {store}; http://{args.host}:{args.port}/api/v1", flush=True)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=uvicorn_log_config(),
    )
    return 0


def _gateway(args: argparse.Namespace) -> int:
    from handlers.gateway import Gateway, GatewayLimits, serve
    from handlers.lambda_http import LambdaHandler

    limits = GatewayLimits(
        function_timeout_seconds=args.function_timeout,
        integration_timeout_seconds=args.integration_timeout,
        payload_bytes=args.payload_limit,
        concurrency=args.concurrency,
    )
    first = LambdaHandler()
    first.warm()
    serve(Gateway(LambdaHandler, limits, warm=(first,)), limits, args.host, args.port)
    return 0


def _token(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if settings.jwt_secret is None:
        raise SettingsError("BURSTREAM_JWT_SECRET is not set")
    if not settings.jwt_algorithm.startswith("HS"):
        raise SettingsError(
            f"BURSTREAM_JWT_ALGORITHM is {settings.jwt_algorithm}: tokens come from your identity"
            " provider, burstream can only mint HMAC tokens"
        )
    verifier = TokenVerifier(
        settings.jwt_secret,
        settings.jwt_algorithm,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    print(
        verifier.mint(
            args.subject, args.tenant, args.scope.split(), ttl_seconds=args.ttl, streams=args.stream
        )
    )
    return 0


def _publish(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.data)
    except json.JSONDecodeError as exc:
        print(f"burstream: data is not JSON: {exc}", file=sys.stderr)
        return 2
    url = f"{_stream_url(args)}/events"
    body = {"events": [{"type": args.type, "data": data}]}
    response = httpx.post(url, json=body, headers=_auth(args), timeout=10)
    print(response.text)
    return 0 if response.status_code == 201 else 1


def _tail(args: argparse.Namespace) -> int:
    cursor, bursts = args.start, 0
    with httpx.Client(timeout=httpx.Timeout(10, read=90)) as client:
        while args.bursts == 0 or bursts < args.bursts:
            cursor, pause = _one_burst(client, args, cursor)
            bursts += 1
            time.sleep(pause)
    return 0


def _one_burst(client: httpx.Client, args: argparse.Namespace, cursor: str) -> tuple[str, float]:
    """Follow one burst; return the cursor to resume from and how long to wait first."""
    headers = {**_auth(args), "Last-Event-ID": cursor}
    pause = 0.5
    try:
        with connect_sse(client, "GET", f"{_stream_url(args)}/events", headers=headers) as source:
            if source.response.status_code != 200:
                source.response.read()
                print(
                    f"burstream: {source.response.status_code} {source.response.text}",
                    file=sys.stderr,
                )
                return cursor, _retry_after(source.response)
            for event in source.iter_sse():
                cursor = event.id or cursor
                pause = _show(event, pause)
    except httpx.TransportError as exc:
        print(f"burstream: connection failed ({exc}); retrying", file=sys.stderr)
        return cursor, 2.0
    return cursor, pause


def _show(event: ServerSentEvent, pause: float) -> float:
    if event.event == "message" and not event.data:
        return pause  # a heartbeat comment, which httpx-sse 0.4 reports as an empty event
    if event.event == "burst-end":
        return float(json.loads(event.data).get("retry_ms", 500)) / 1000
    if event.event == "reset":
        print(f"# reset: {event.data} (events were lost; reload history)", file=sys.stderr)
    elif event.event != "ready":
        print(f"{event.id} {event.event} {event.data}", flush=True)
    return pause


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("retry-after", "2"))
    except ValueError:
        return 2.0


def _stream_url(args: argparse.Namespace) -> str:
    return f"{args.url.rstrip('/')}/api/v1/tenants/{args.tenant}/streams/{args.stream}"


def _auth(args: argparse.Namespace) -> dict[str, str]:
    if not args.token:
        raise SettingsError("no token: pass --token or set BURSTREAM_TOKEN")
    return {"Authorization": f"Bearer {args.token}"}


if __name__ == "__main__":
    raise SystemExit(main())
