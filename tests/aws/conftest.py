"""Lambda tests: the real ``handlers.lambda_http.handler`` on real Redis, configured the way a
function is (environment variables), with a cold container at the start of every test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from handlers import lambda_http
from handlers.lambda_http import LambdaHandler
from tests.aws.helpers import environment
from tests.server import settings_for

Configure = Callable[..., None]


@pytest.fixture
def lambda_env(redis_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch) -> Configure:
    """A function's environment: this test's key prefix, the test secret, Lambda's marker.

    Call the fixture's value with setting overrides (``lambda_env(buffered_linger_ms=20)``)
    before the first invocation; ``redis_url=None`` unsets the store.
    """
    for name in list(os.environ):
        if name.startswith("BURSTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "burstream-test")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    def configure(**overrides: Any) -> None:
        url = overrides.pop("redis_url", redis_url)
        for name in list(os.environ):
            if name.startswith("BURSTREAM_"):
                monkeypatch.delenv(name)
        settings = settings_for(url, prefix, **overrides)
        for name, value in environment(settings).items():
            monkeypatch.setenv(name, value)

    configure(buffered_linger_ms=20)
    return configure


@pytest.fixture
def handler(lambda_env: Configure) -> Iterator[LambdaHandler]:
    """The module's handler, cold: its container is built by the test's first invocation."""
    lambda_http.handler.close()
    yield lambda_http.handler
    lambda_http.handler.close()
