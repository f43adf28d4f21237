"""HTTP tests: the real app behind uvicorn, real Redis, SSE parsed by httpx-sse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server import RunningServer, serve, settings_for


@pytest.fixture
def server(redis_url: str, prefix: str) -> Iterator[RunningServer]:
    """A server with default settings on real Redis, under this test's key prefix."""
    with serve(settings_for(redis_url, prefix)) as running:
        yield running


@pytest.fixture
def make_server(redis_url: str, prefix: str) -> Any:
    """Start a server with setting overrides: ``with make_server(burst_seconds=2) as s``."""

    def make(**overrides: Any) -> Any:
        return serve(settings_for(redis_url, prefix, **overrides))

    return make
