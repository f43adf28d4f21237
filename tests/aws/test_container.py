"""The warm container: built once, on the first invocation, reused after; nothing left running
between invocations; refused when it would run on the embedded store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis

from handlers import bootstrap, lambda_http
from handlers.lambda_http import LambdaHandler
from infra.settings import SettingsError
from tests.aws.conftest import Configure
from tests.aws.helpers import HEADERS, burst_of, burst_request, invoke, publish, stream_path
from tests.aws.payloads import Request
from tests.server import settings_for


def test_nothing_connects_at_import_or_before_the_first_invocation() -> None:
    assert isinstance(lambda_http.handler, LambdaHandler)
    assert LambdaHandler().services is None


def test_warm_container_reuses_one_redis_client(
    handler: LambdaHandler, sync_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []
    connect = bootstrap.connect

    def counting_connect(*args: Any, **kwargs: Any) -> Any:
        builds.append(kwargs.get("name", ""))
        return connect(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "connect", counting_connect)
    seen: set[str] = set()
    cursor = "earliest"
    for round_ in range(10):
        ids = publish(handler, "warm", round_)
        burst = burst_of(invoke(handler, burst_request("warm", last_event_id=cursor)).answer)
        assert burst.data_ids == ids
        invoke(handler, Request("GET", f"{stream_path('warm')}/history", headers=HEADERS))
        seen |= _connection_ids(sync_redis, builds[0])
        cursor = burst.last_id
    assert len(builds) == 1, "one Redis client set per container"
    still_open = _connection_ids(sync_redis, builds[0])
    assert seen <= still_open, "no connection was closed and reopened between invocations"
    assert 1 <= len(still_open) <= 4, "commands (pool of 2), hub reader, health"


def test_no_task_outlives_an_invocation(handler: LambdaHandler) -> None:
    """The hub's reader stops with its last listener, before Lambda freezes the process."""
    publish(handler, "idle", 1)
    burst_of(invoke(handler, burst_request("idle", query={"max_seconds": "0.2"})).answer)
    services = handler.services
    assert services is not None
    assert not services.hub.running
    assert services.hub.listeners == 0
    assert _pending_tasks(handler) == 0


def test_a_task_left_behind_is_cancelled_after_the_settle_window(handler: LambdaHandler) -> None:
    publish(handler, "stuck", 1)
    stuck = _loop(handler).create_task(asyncio.Event().wait())
    invoke(handler, Request("GET", f"{stream_path('stuck')}/history", headers=HEADERS))
    assert stuck.cancelled()
    assert _pending_tasks(handler) == 0


def test_the_embedded_store_is_refused_on_lambda(
    handler: LambdaHandler, lambda_env: Configure
) -> None:
    lambda_env(redis_url=None)
    with pytest.raises(SettingsError, match="BURSTREAM_REDIS_URL") as refused:
        invoke(handler, Request("GET", "/api/v1/health"))
    assert "refused on Lambda" in str(refused.value)
    assert handler.services is None, "a failed build leaves nothing behind; the next one retries"


@pytest.mark.parametrize(
    ("function_name", "refused"),
    [("burstream-stream", True), (None, False)],
    ids=["lambda-web-adapter", "laptop"],
)
def test_build_services_detects_lambda(
    monkeypatch: pytest.MonkeyPatch, prefix: str, function_name: str | None, refused: bool
) -> None:
    """The streaming function runs ``burstream serve`` (uvicorn), not Mangum: same refusal."""
    if function_name is None:
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    else:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", function_name)
    settings = settings_for(None, prefix)
    if refused:
        with pytest.raises(SettingsError, match="BURSTREAM_REDIS_URL"):
            bootstrap.build_services(settings)
    else:
        assert bootstrap.build_services(settings).store == "embedded"


def _connection_ids(sync_redis: redis.Redis, name: str) -> set[str]:
    return {
        str(client["id"])
        for client in sync_redis.client_list()
        if client.get("name", "").startswith(f"{name}-")
    }


def _loop(handler: LambdaHandler) -> asyncio.AbstractEventLoop:
    container = handler._container
    assert container is not None
    return container.loop


def _pending_tasks(handler: LambdaHandler) -> int:
    return sum(1 for task in asyncio.all_tasks(_loop(handler)) if not task.done())
