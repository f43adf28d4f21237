"""A module-wide server for the read-mostly security tests (``server`` and ``make_server``
come from tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import RUN_PREFIX
from tests.server import RunningServer, serve, settings_for


@pytest.fixture(scope="module")
def module_server(redis_url: str) -> Iterator[RunningServer]:
    """One server for a whole module of read-mostly tests, under a prefix of its own."""
    prefix = f"{RUN_PREFIX}-{uuid.uuid4().hex[:8]}"
    with serve(settings_for(redis_url, prefix)) as running:
        yield running
