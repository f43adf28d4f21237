"""Build everything a process needs, in one place: the composition root.

Nothing connects to Redis here: its connections open on first use. The JWT secret is resolved
here, once per process (on Lambda, once per warm container): from ``BURSTREAM_JWT_SECRET`` or
read from SSM / Secrets Manager (``infra.aws_secrets``). On Lambda the embedded store is
refused: every container would hold its own private copy of the data. Tests swap adapters by
passing their own settings (a key prefix per run, small limits) or by building ``Services``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass

from core.errors import StoreUnavailable
from core.policy import Limits
from handlers.burst import BurstDeps
from infra.aws_secrets import read_secret, secret_ref
from infra.clock import MonotonicClock
from infra.hub import LiveHub
from infra.jwks import JwksKeys
from infra.keys import Keys
from infra.leases import RedisLeaseKeeper
from infra.rate_limit import RedisRateLimiter
from infra.redis_client import RedisClients, connect
from infra.redis_log import RedisEventLog, Retention
from infra.settings import Settings, SettingsError
from infra.store_errors import store_errors
from infra.tokens import TicketSigner, TokenVerifier

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 0.2


@dataclass(slots=True)
class Services:
    """The process's adapters, shared by every request."""

    settings: Settings
    clients: RedisClients
    log: RedisEventLog
    hub: LiveHub
    verifier: TokenVerifier
    burst: BurstDeps
    leases: RedisLeaseKeeper
    rate: RedisRateLimiter
    tickets: TicketSigner
    on_lambda: bool = False

    @property
    def store(self) -> str:
        return "embedded" if self.clients.embedded else "redis"

    async def store_ok(self) -> bool:
        """Whether the store answers a PING within the health budget (own connection)."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                with store_errors():
                    await self.clients.health.ping()
        except (TimeoutError, StoreUnavailable):
            return False
        except Exception:
            log.exception("health check failed unexpectedly")
            return False
        return True

    async def aclose(self) -> None:
        await self.hub.close()
        await self.clients.aclose()


def build_services(
    settings: Settings, *, secret: str | None = None, on_lambda: bool | None = None
) -> Services:
    """Wire adapters for ``settings``; ``secret`` overrides the configured JWT secret.

    ``on_lambda`` None means "detect it" (``AWS_LAMBDA_FUNCTION_NAME`` is set); the Mangum
    handler passes True, so the local gateway refuses what Lambda would.
    """
    on_lambda = running_on_lambda() if on_lambda is None else on_lambda
    if on_lambda and settings.embedded:
        raise SettingsError(
            "BURSTREAM_REDIS_URL is not set: the embedded store is refused on Lambda (each"
            " container would keep its own private data). Set BURSTREAM_REDIS_URL to your"
            " ElastiCache or Redis URL (redis:// or rediss://)"
        )
    secret = secret or _jwt_secret(settings)
    client_name = f"burstream-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    clients = connect(settings, name=client_name)
    keys = Keys(settings.key_prefix)
    retention = Retention(settings.retention_max_events, settings.retention_max_age_seconds)
    event_log = RedisEventLog(clients.commands, keys, retention)
    hub = LiveHub(
        clients.reader,
        clients.commands,
        keys,
        queue_size=settings.listener_queue_events,
        block_ms=clients.hub_block_ms,
    )
    return Services(
        settings=settings,
        clients=clients,
        log=event_log,
        hub=hub,
        verifier=_verifier(settings, secret),
        burst=BurstDeps(event_log, hub, MonotonicClock(), _limits(settings), settings.retry_ms),
        leases=RedisLeaseKeeper(clients.commands, keys, settings.quota),
        rate=RedisRateLimiter(clients.commands, keys, settings.quota),
        tickets=TicketSigner(secret),
        on_lambda=on_lambda,
    )


def running_on_lambda() -> bool:
    """Whether this process runs inside AWS Lambda (Mangum or the Lambda Web Adapter)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def _jwt_secret(settings: Settings) -> str:
    ref = secret_ref(settings)
    if ref is not None:
        return read_secret(ref)
    if settings.jwt_secret is None:
        raise SettingsError(
            "BURSTREAM_JWT_SECRET is not set (nor BURSTREAM_JWT_SECRET_SSM_PARAMETER or"
            " BURSTREAM_JWT_SECRET_SECRETS_MANAGER_ID)"
        )
    return settings.jwt_secret


def _verifier(settings: Settings, secret: str) -> TokenVerifier:
    return TokenVerifier(
        secret=secret,
        algorithm=settings.jwt_algorithm,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        keys=_jwks(settings),
    )


def _jwks(settings: Settings) -> JwksKeys | None:
    """The identity provider's keys for RS256 tokens (tickets stay signed with the secret)."""
    if settings.jwt_algorithm != "RS256" and settings.jwt_jwks_url is None:
        return None
    if settings.jwt_algorithm != "RS256" or settings.jwt_jwks_url is None:
        raise SettingsError(
            "BURSTREAM_JWT_JWKS_URL and BURSTREAM_JWT_ALGORITHM=RS256 go together: set both"
        )
    return JwksKeys(
        settings.jwt_jwks_url,
        algorithm=settings.jwt_algorithm,
        cache_seconds=settings.jwks_cache_seconds,
    )


def _limits(settings: Settings) -> Limits:
    return Limits(
        heartbeat_seconds=settings.heartbeat_seconds,
        linger_seconds=settings.buffered_linger_ms / 1000,
        max_events=settings.burst_max_events,
        max_bytes=settings.burst_max_bytes,
    )
