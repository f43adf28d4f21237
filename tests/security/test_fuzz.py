"""The HTTP API fuzzed from its own OpenAPI description (schemathesis): never a 5xx.

Each operation gets schema-valid and schema-violating requests, sent to a real server. Every
request carries a token for the tenant in its path, so generated names and bodies get past
authentication and as deep into the service as they can. Bursts last 0.1 s (the SSE endpoint
and history long-polls end quickly); the limits are generous, so ``429`` does not cut the
exploration short.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import RUN_PREFIX
from tests.security.credentials import bearer, mint
from tests.server import RunningServer, serve, settings_for

OPERATIONS = [
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/tenants/{tenant}/streams/{stream}/events"),
    ("GET", "/api/v1/tenants/{tenant}/streams/{stream}/events"),
    ("GET", "/api/v1/tenants/{tenant}/streams/{stream}/history"),
    ("POST", "/api/v1/tenants/{tenant}/tickets"),
]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
NAMES = {"tenant": "acme", "stream": "fuzz"}
RUNS = [
    pytest.param(method, path, mode, names, id=f"{method} {path} {mode.value}{suffix}")
    for method, path in OPERATIONS
    for mode in (POSITIVE, NEGATIVE)
    for names, suffix in ((False, ""), (True, " valid-names"))
    if "{" in path or (mode is POSITIVE and not names)
]
"""Every operation with valid and invalid input, once with generated names (mostly refused
as names) and once with valid names, so the query, headers and body are fuzzed past them
(health has no input at all)."""
EXAMPLES = 100


@pytest.fixture(scope="module")
def fuzzed(redis_url: str) -> Iterator[tuple[RunningServer, Any]]:
    overrides = {
        "burst_seconds": 0.1,
        "max_connections_per_tenant": 10_000,
        "max_connections_per_user": 10_000,
        "publish_rate_per_second": 1_000_000.0,
        "publish_burst": 1_000_000,
    }
    with serve(settings_for(redis_url, f"{RUN_PREFIX}-fuzz", **overrides)) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/schema/openapi.json")
        yield server, schema


def test_every_operation_is_fuzzed(fuzzed: tuple[RunningServer, Any]) -> None:
    _, schema = fuzzed
    found = {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }
    assert found == set(OPERATIONS)


def _headers(case: Any) -> dict[str, str]:
    tenant = (case.path_parameters or {}).get("tenant")
    tenants = [tenant] if isinstance(tenant, str) else ["acme"]
    return bearer(mint(tenants))


@pytest.mark.parametrize(("method", "path", "mode", "names"), RUNS)
def test_no_request_gets_a_server_error(
    fuzzed: tuple[RunningServer, Any], method: str, path: str, mode: Any, names: bool
) -> None:
    server, schema = fuzzed
    operation = schema[path][method]
    fixed = {name: value for name, value in NAMES.items() if "{" + name + "}" in path}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode, path_parameters=fixed if names else None)
    )
    def fuzz(case: Any) -> None:
        response = case.call(base_url=server.url, headers=_headers(case), timeout=10)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
        )

    fuzz()
