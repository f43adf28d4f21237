"""Settings from the environment (prefix ``BURSTREAM_``), checked once at start.

A bad value fails start-up with a message that names the variable, never later at request
time. Defaults suit a laptop; DESIGN.md lists what a deployment usually sets.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

from core.errors import InvalidInput
from core.names import tenant_name

PREFIX = "BURSTREAM_"
CLIENT_VARIABLES = frozenset(
    {PREFIX + "URL", PREFIX + "TOKEN", PREFIX + "TEST_REDIS_URL", PREFIX + "BENCH_REDIS_URL"}
)
"""Variables read by the CLI's client commands and the test and bench tooling, not the service."""
MIN_SECRET_BYTES = 32

log = logging.getLogger(__name__)

Positive = Annotated[float, msgspec.Meta(gt=0, le=1e9)]
"""Finite: an infinite timeout or rate would make a wait unbounded."""
Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
"""A duration burstream waits for: bounded, so no wait can become endless."""
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class TenantLimits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Per-tenant overrides of the fleet-wide limits (``BURSTREAM_TENANT_LIMITS``, JSON)."""

    max_connections_per_tenant: PositiveInt | None = None
    max_connections_per_user: PositiveInt | None = None
    publish_rate_per_second: Positive | None = None
    publish_burst: PositiveInt | None = None


class Quota(msgspec.Struct, frozen=True):
    """The limits that apply to one tenant: the fleet-wide ones with its overrides applied."""

    max_connections_per_tenant: int
    max_connections_per_user: int
    publish_rate_per_second: float
    publish_burst: int


_NO_OVERRIDES = TenantLimits()


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every knob of the service; see DESIGN.md, "Settings"."""

    redis_url: str | None = None
    key_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] = "bs"
    jwt_secret: str | None = None
    jwt_secret_ssm_parameter: str | None = None
    jwt_secret_secrets_manager_id: str | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512", "RS256"] = "HS256"
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_jwks_url: str | None = None
    jwks_cache_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 300
    ticket_max_ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 300
    burst_seconds: Annotated[float, msgspec.Meta(gt=0, le=900)] = 55.0
    heartbeat_seconds: Seconds = 15.0
    deadline_margin_ms: NonNegativeInt = 1500
    gateway_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=900)] = 29.0
    buffered_linger_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 200
    retention_max_events: PositiveInt = 10_000
    retention_max_age_seconds: NonNegativeInt = 86_400
    max_connections_per_tenant: PositiveInt = 1000
    max_connections_per_user: PositiveInt = 20
    lease_grace_seconds: Seconds = 5.0
    publish_rate_per_second: Positive = 1000.0
    publish_burst: PositiveInt = 2000
    tenant_limits: dict[str, TenantLimits] = {}
    metrics_token: str | None = None
    sse_mode: Literal["auto", "streaming", "buffered"] = "auto"
    cors_origins: tuple[str, ...] = ()
    retry_ms: Annotated[int, msgspec.Meta(ge=0, le=600_000)] = 500
    burst_max_events: PositiveInt = 10_000
    burst_max_bytes: Annotated[int, msgspec.Meta(ge=1024, le=5_000_000)] = 4 * 1024 * 1024
    listener_queue_events: PositiveInt = 1024
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=6_000_000)] = 4 * 1024 * 1024
    redis_pool_size: Annotated[int, msgspec.Meta(ge=1, le=64)] = 2
    redis_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0

    @property
    def embedded(self) -> bool:
        """True when no Redis URL is set: the in-process emulation serves as the store."""
        return self.redis_url is None

    def quota(self, tenant: str) -> Quota:
        """``tenant``'s limits: its ``TENANT_LIMITS`` overrides, else the fleet-wide ones."""
        own = self.tenant_limits.get(tenant, _NO_OVERRIDES)
        return Quota(
            own.max_connections_per_tenant or self.max_connections_per_tenant,
            own.max_connections_per_user or self.max_connections_per_user,
            own.publish_rate_per_second or self.publish_rate_per_second,
            own.publish_burst or self.publish_burst,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``BURSTREAM_*`` variables; raise ``SettingsError`` naming a bad one."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.__struct_fields__:
            value = env.get(PREFIX + name.upper())
            if value is not None and value.strip() != "":
                raw[name] = _raw(name, value.strip())
        try:
            settings = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_name_variable(str(exc))) from None
        settings.check()
        for variable in unknown_variables(env):
            log.warning("%s is not a burstream setting (misspelt?); it is ignored", variable)
        return settings

    def check(self) -> None:
        """Rules that span fields or that msgspec cannot express."""
        if self.jwt_secret is not None and len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"{PREFIX}JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes for HS256"
            )
        if self.redis_url is not None and not re.match(r"^(redis|rediss|unix)://", self.redis_url):
            raise SettingsError(f"{PREFIX}REDIS_URL must start with redis://, rediss:// or unix://")
        for tenant in self.tenant_limits:
            try:
                tenant_name(tenant)
            except InvalidInput as exc:
                raise SettingsError(f"{PREFIX}TENANT_LIMITS: {exc.detail}") from None


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """``BURSTREAM_*`` variables that name no setting: a typo would otherwise pass unseen."""
    known = {PREFIX + name.upper() for name in Settings.__struct_fields__} | CLIENT_VARIABLES
    return sorted(name for name in env if name.startswith(PREFIX) and name not in known)


def _raw(name: str, value: str) -> object:
    if name == "cors_origins":
        return [part.strip() for part in value.split(",") if part.strip()]
    if name == "tenant_limits":
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError as exc:
            raise SettingsError(f"{PREFIX}TENANT_LIMITS is not JSON: {exc}") from None
    return value


def _name_variable(message: str) -> str:
    match = re.search(r"at `\$\.(\w+)", message)
    if match is None:
        return f"bad setting: {message}"
    variable = PREFIX + match[1].upper()
    return f"{variable}: {message.split(' - at ')[0]}"
