"""What a security team watches, as Prometheus metrics and as log lines.

- ``burstream_auth_refusals_total{status,reason}``: every ``401`` and ``403``, by its code
  (``token_expired``, ``token_algorithm_refused``, ``tenant_forbidden``...). A burst of
  ``token_bad_signature`` or ``tenant_forbidden`` is someone probing.
- ``burstream_leases_refused_total{tenant,limit}``: bursts refused at a connection limit
  (``tenant_connections`` or ``user_connections``).
- ``burstream_publish_throttled_total{tenant}``: publishes refused at the rate limit.
- ``burstream_open_bursts{tenant}``: bursts this process is streaming now; sum over the fleet's
  processes for the total (a tenant's series disappears while it has none).

Each refusal is also logged on the ``burstream.security`` logger, one ``key=value`` line, so
platforms with no scraper (Lambda) can count from the logs. The path is logged, never the
query: a ticket travels there.

The registry belongs to one app, not to the process-global default, so several apps (tests,
two instances in one process) never clash. ``GET /api/v1/metrics`` serves it only when
``BURSTREAM_METRICS_TOKEN`` is set, to callers presenting it as a bearer token: the series name
tenants, and a public API must not list its customers to anyone who asks. Unset, the route
answers ``404``.
"""

from __future__ import annotations

import hmac
import logging

from litestar import Response, get
from litestar.exceptions import NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import generate_latest

from core.errors import Unauthorized
from handlers.requests import AnyRequest, services_of

security_log = logging.getLogger("burstream.security")


class SecurityMetrics:
    """The counters and gauge above, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._refusals = Counter(
            "burstream_auth_refusals",
            "401 and 403 answers, by status and reason",
            ["status", "reason"],
            registry=self.registry,
        )
        self._leases = Counter(
            "burstream_leases_refused",
            "bursts refused at a connection limit",
            ["tenant", "limit"],
            registry=self.registry,
        )
        self._throttled = Counter(
            "burstream_publish_throttled",
            "publishes refused at the publish rate limit",
            ["tenant"],
            registry=self.registry,
        )
        self._open = Gauge(
            "burstream_open_bursts",
            "bursts open in this process",
            ["tenant"],
            registry=self.registry,
        )
        self._open_counts: dict[str, int] = {}

    def refused(self, request: AnyRequest, status: int, reason: str) -> None:
        """Count and log a ``401``/``403``."""
        self._refusals.labels(str(status), reason).inc()
        security_log.warning(
            "auth_refused status=%d reason=%s method=%s path=%r client=%s",
            status,
            reason,
            request.method,
            request.url.path,
            request.client.host if request.client else "-",
        )

    def lease_refused(self, tenant: str, limit: str) -> None:
        self._leases.labels(tenant, limit).inc()
        security_log.warning("lease_refused tenant=%s limit=%s", tenant, limit)

    def throttled(self, tenant: str) -> None:
        self._throttled.labels(tenant).inc()
        security_log.warning("publish_throttled tenant=%s", tenant)

    def burst_opened(self, tenant: str) -> None:
        count = self._open_counts.get(tenant, 0) + 1
        self._open_counts[tenant] = count
        self._open.labels(tenant).set(count)

    def burst_closed(self, tenant: str) -> None:
        """One fewer open burst; a tenant's series goes once it has none, so it stays small."""
        count = self._open_counts.pop(tenant, 0) - 1
        if count > 0:
            self._open_counts[tenant] = count
            self._open.labels(tenant).set(count)
        elif count == 0:
            self._open.remove(tenant)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def metrics_of(request: AnyRequest) -> SecurityMetrics:
    metrics: SecurityMetrics = request.app.state["metrics"]
    return metrics


@get("/metrics", include_in_schema=False, media_type=CONTENT_TYPE_LATEST)
async def metrics(request: AnyRequest) -> Response[bytes]:
    """The Prometheus exposition, for the holder of the metrics token only."""
    expected = services_of(request).settings.metrics_token
    if expected is None:
        raise NotFoundException()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("metrics need the metrics token", code="metrics_token")
    return Response(metrics_of(request).render(), media_type=CONTENT_TYPE_LATEST)
