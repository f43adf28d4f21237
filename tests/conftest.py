"""Shared fixtures: a real Redis (or a loud skip), a key prefix per run, app servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.redis_server import TestRedis, acquire
from tests.server import RunningServer, serve, settings_for

RUN_PREFIX = f"bst{uuid.uuid4().hex[:8]}"
"""Every key this run writes starts with this; the session's end deletes them all."""

_redis: TestRedis | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _redis
    _redis = acquire()
    if _redis.url is None and os.environ.get("CI") == "true":
        why = _redis.why_not
        raise pytest.UsageError(f"NO REDIS ({why}): under CI=true Redis-only tests may not skip")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _redis is None:
        return
    if _redis.url is not None:
        _delete_run_keys(_redis.url)
    _redis.stop()


def pytest_report_header(config: pytest.Config) -> str:
    url = _redis.url if _redis else None
    return f"burstream: redis {url or _no_redis_notice()}; key prefix {RUN_PREFIX}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say it again at the end, where nobody can miss it (warnings are errors here)."""
    if _redis is not None and _redis.url is None:
        terminalreporter.write_sep("!", _no_redis_notice(), red=True, bold=True)


def _no_redis_notice() -> str:
    why = _redis.why_not if _redis else "not looked for"
    return f"NO REDIS ({why}): Redis-only tests were SKIPPED"


def _delete_run_keys(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"{RUN_PREFIX}*", count=1000):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a real Redis; skips (loudly, see pytest_configure) when there is none."""
    if _redis is None or _redis.url is None:
        pytest.skip("no Redis available (see the notice at the top of the run)")
    return _redis.url


@pytest.fixture
def prefix() -> str:
    """A key prefix unique to one test, under the run's prefix."""
    return f"{RUN_PREFIX}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sync_redis(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client for inspecting and tampering with Redis from a test."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def server(redis_url: str, prefix: str) -> Iterator[RunningServer]:
    """The real app behind uvicorn with default settings, on real Redis, under ``prefix``."""
    with serve(settings_for(redis_url, prefix)) as running:
        yield running


@pytest.fixture
def make_server(redis_url: str, prefix: str) -> Any:
    """Start servers with setting overrides, all sharing this test's prefix (one "fleet"):
    ``with make_server(burst_seconds=2) as server``."""

    def make(**overrides: Any) -> Any:
        return serve(settings_for(redis_url, prefix, **overrides))

    return make
