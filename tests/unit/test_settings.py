"""Settings from the environment: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import pytest

from infra.settings import Settings, SettingsError, TenantLimits, unknown_variables


def test_defaults_match_the_contract() -> None:
    settings = Settings.from_env({})
    assert settings.embedded
    assert (settings.burst_seconds, settings.heartbeat_seconds) == (55.0, 15.0)
    assert (settings.deadline_margin_ms, settings.gateway_timeout_seconds) == (1500, 29.0)
    assert (settings.retention_max_events, settings.retention_max_age_seconds) == (10000, 86400)
    assert settings.sse_mode == "auto"
    assert settings.cors_origins == ()


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "BURSTREAM_REDIS_URL": "redis://cache:6379/2",
            "BURSTREAM_BURST_SECONDS": "30",
            "BURSTREAM_SSE_MODE": "buffered",
            "BURSTREAM_CORS_ORIGINS": "https://a.example, https://b.example,",
            "BURSTREAM_TENANT_LIMITS": '{"acme": {"max_connections_per_user": 3}}',
            "BURSTREAM_UNRELATED": "ignored",
            "OTHER_BURST_SECONDS": "1",
        }
    )
    assert not settings.embedded
    assert settings.burst_seconds == 30.0
    assert settings.sse_mode == "buffered"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.tenant_limits == {"acme": TenantLimits(max_connections_per_user=3)}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BURSTREAM_BURST_SECONDS", "0"),
        ("BURSTREAM_BURST_SECONDS", "soon"),
        ("BURSTREAM_HEARTBEAT_SECONDS", "-1"),
        ("BURSTREAM_RETENTION_MAX_EVENTS", "0"),
        ("BURSTREAM_SSE_MODE", "fast"),
        ("BURSTREAM_REDIS_URL", "http://cache"),
        ("BURSTREAM_JWT_SECRET", "too-short"),
        ("BURSTREAM_KEY_PREFIX", "has space"),
        ("BURSTREAM_TENANT_LIMITS", "{not json"),
        ("BURSTREAM_TENANT_LIMITS", '{"Acme": {}}'),
        ("BURSTREAM_TENANT_LIMITS", '{"acme": {"unknown": 1}}'),
        ("BURSTREAM_BURST_MAX_BYTES", "9000000"),
        ("BURSTREAM_REDIS_TIMEOUT_SECONDS", "inf"),
        ("BURSTREAM_HEARTBEAT_SECONDS", "inf"),
        ("BURSTREAM_BUFFERED_LINGER_MS", "99999999999"),
    ],
    ids=[
        "zero-burst",
        "text-burst",
        "negative-heartbeat",
        "zero-retention",
        "unknown-mode",
        "http-redis-url",
        "short-secret",
        "bad-prefix",
        "limits-not-json",
        "limits-bad-tenant",
        "limits-unknown-field",
        "byte-cap-over-lambda-limit",
        "infinite-timeout",
        "infinite-heartbeat",
        "endless-linger",
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_unknown_variables_are_named_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    env = {"BURSTREAM_BURST_SECOND": "30", "BURSTREAM_TOKEN": "t", "BURSTREAM_URL": "u"}
    settings = Settings.from_env(env)
    assert settings.burst_seconds == 55.0
    assert unknown_variables(env) == ["BURSTREAM_BURST_SECOND"]
    assert "BURSTREAM_BURST_SECOND is not a burstream setting" in caplog.text


def test_a_tenants_quota_applies_its_overrides() -> None:
    settings = Settings.from_env(
        {
            "BURSTREAM_MAX_CONNECTIONS_PER_USER": "7",
            "BURSTREAM_TENANT_LIMITS": '{"big": {"max_connections_per_tenant": 5000,'
            ' "publish_burst": 9000}}',
        }
    )
    big, other = settings.quota("big"), settings.quota("other")
    assert (big.max_connections_per_tenant, big.max_connections_per_user) == (5000, 7)
    assert (big.publish_rate_per_second, big.publish_burst) == (1000.0, 9000)
    assert (other.max_connections_per_tenant, other.publish_burst) == (1000, 2000)
