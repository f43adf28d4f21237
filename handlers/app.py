"""``create_app(settings)``: the Litestar app, for uvicorn, Mangum and the tests alike.

Nothing connects at import or at build time. The app closes the services it built when its
lifespan ends; services passed in belong to the caller (Lambda keeps them warm across
invocations, and runs Mangum with ``lifespan="off"``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components

from handlers.bootstrap import Services, build_services
from handlers.errors import EXCEPTION_HANDLERS
from handlers.metrics import SecurityMetrics
from handlers.openapi import SECURITY_SCHEMES
from handlers.routes import ROUTES
from infra.settings import Settings

API_PREFIX = "/api/v1"
CORS_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID", "Idempotency-Key"]


def create_app(settings: Settings, services: Services | None = None) -> Litestar:
    """The app for ``settings``; builds its own ``Services`` unless given some."""
    owned = services is None
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                await services.aclose()

    return Litestar(
        route_handlers=[Router(API_PREFIX, route_handlers=ROUTES)],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_openapi(),
        cors_config=_cors(settings),
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        state=State({"services": services, "metrics": SecurityMetrics()}),
        debug=False,
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="burstream",
        version="1",
        description="Time-bounded SSE bursts with resume cursors (see DESIGN.md).",
        path=f"{API_PREFIX}/schema",
        render_plugins=[SwaggerRenderPlugin()],
        components=Components(security_schemes=SECURITY_SCHEMES),
    )


def _cors(settings: Settings) -> CORSConfig | None:
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=CORS_HEADERS,
        expose_headers=["Retry-After"],
        max_age=600,
    )
