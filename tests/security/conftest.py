"""Servers for the security tests: the real app behind uvicorn, on real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import RUN_PREFIX
from tests.server import RunningServer, serve, settings_for


@pytest.fixture
def server(redis_url: str, prefix: str) -> Iterator[RunningServer]:
    """A server with default settings, under this test's key prefix."""
    with serve(settings_for(redis_url, prefix)) as running:
        yield running


@pytest.fixture
def make_server(redis_url: str, prefix: str) -> Any:
    """Start servers with setting overrides, all sharing this test's prefix (one "fleet")."""

    def make(**overrides: Any) -> Any:
        return serve(settings_for(redis_url, prefix, **overrides))

    return make


@pytest.fixture(scope="module")
def module_server(redis_url: str) -> Iterator[RunningServer]:
    """One server for a whole module of read-mostly tests, under a prefix of its own."""
    prefix = f"{RUN_PREFIX}-{uuid.uuid4().hex[:8]}"
    with serve(settings_for(redis_url, prefix)) as running:
        yield running
