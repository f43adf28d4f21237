"""serverless.yml, read as the deployment will use it: handlers that import, timeouts that
outlast every burst, IAM for exactly the secret it reads, the streaming integration, docs.

A burst's longest deadline is computed by the same ``Budget`` the app uses, from the settings
the function's environment gives it (without an invocation's remaining time, which can only
shorten it).
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.policy import Budget, Mode
from handlers.cli import main
from handlers.gateway import GatewayLimits
from handlers.lambda_http import LambdaHandler
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG: dict[str, Any] = yaml.safe_load((ROOT / "serverless.yml").read_text())
FUNCTIONS: dict[str, Any] = CONFIG["functions"]
RESOURCES: dict[str, Any] = CONFIG["resources"]["Resources"]
HTTP_API_MAX_SECONDS = 30
STREAM_MAX_SECONDS = 900
PLACEHOLDERS = {
    "BURSTREAM_REDIS_URL": "rediss://cache.example:6379/0",
    "BURSTREAM_JWT_SECRET_SSM_PARAMETER": "/burstream/test/jwt-secret",
}


def _environment(name: str) -> dict[str, str]:
    """The function's environment, with deploy-time variables given plausible values."""
    merged = {**CONFIG["provider"]["environment"], **FUNCTIONS[name].get("environment", {})}
    resolved = {key: PLACEHOLDERS.get(key, str(value)) for key, value in merged.items()}
    return {key: value for key, value in resolved.items() if "${" not in value}


def _settings(name: str) -> Settings:
    return Settings.from_env(_environment(name))


def _mode(name: str) -> Mode:
    """Buffered under Mangum (the scope carries aws.context), else what SSE_MODE says."""
    settings = _settings(name)
    if settings.sse_mode != "auto":
        return Mode(settings.sse_mode)
    return Mode.BUFFERED if FUNCTIONS[name]["handler"].endswith(".handler") else Mode.STREAMING


def _longest_burst_seconds(name: str) -> float:
    settings = _settings(name)
    budget = Budget(
        burst_seconds=settings.burst_seconds,
        margin_ms=settings.deadline_margin_ms,
        gateway_timeout_seconds=settings.gateway_timeout_seconds,
    )
    return budget.seconds(_mode(name))


def _stream_integration() -> dict[str, Any]:
    integration: dict[str, Any] = RESOURCES["StreamProxyMethod"]["Properties"]["Integration"]
    return integration


def test_the_two_deployment_shapes() -> None:
    assert set(FUNCTIONS) == {"api", "stream"}
    assert _mode("api") is Mode.BUFFERED
    assert _mode("stream") is Mode.STREAMING
    assert FUNCTIONS["api"]["events"] == [{"httpApi": "*"}]


def test_the_buffered_handler_path_imports() -> None:
    module, _, attribute = FUNCTIONS["api"]["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module.replace("/", ".")), attribute)
    assert isinstance(handler, LambdaHandler)
    assert (ROOT / f"{module}.py").is_file()


def test_the_streaming_handler_path_starts_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    script = ROOT / FUNCTIONS["stream"]["handler"]
    text = script.read_text()
    assert os.access(script, os.X_OK), "Lambda runs the handler file as a command"
    assert text.startswith("#!/bin/sh\n")
    command = re.search(r"^exec python3 -m ([\w.]+) (\w+) ", text, re.MULTILINE)
    assert command is not None
    module, subcommand = command[1], command[2]
    assert importlib.import_module(module).main is main
    with pytest.raises(SystemExit) as done:
        main([subcommand, "--help"])
    assert done.value.code == 0
    assert "--port" in capsys.readouterr().out
    assert FUNCTIONS["stream"]["handler"] in CONFIG["package"]["patterns"]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_timeout_outlasts_its_longest_burst(name: str) -> None:
    settings = _settings(name)
    needed = _longest_burst_seconds(name) + settings.deadline_margin_ms / 1000
    assert FUNCTIONS[name]["timeout"] > needed


def test_the_buffered_function_fits_the_http_api() -> None:
    settings = _settings("api")
    assert FUNCTIONS["api"]["timeout"] < HTTP_API_MAX_SECONDS
    assert settings.gateway_timeout_seconds <= HTTP_API_MAX_SECONDS
    assert settings.burst_max_bytes <= 5_000_000


def test_the_streaming_integration() -> None:
    integration = _stream_integration()
    needed = _longest_burst_seconds("stream") + _settings("stream").deadline_margin_ms / 1000
    timeout_seconds = integration["TimeoutInMillis"] / 1000
    assert integration["Type"] == "AWS_PROXY"
    assert integration["ResponseTransferMode"] == "STREAM"
    assert needed < timeout_seconds <= STREAM_MAX_SECONDS
    assert timeout_seconds >= FUNCTIONS["stream"]["timeout"]
    uri = integration["Uri"]["Fn::Join"][1]
    assert uri[-1] == "/response-streaming-invocations"
    assert {"Fn::GetAtt": ["StreamLambdaFunction", "Arn"]} in uri
    api = RESOURCES["StreamRestApi"]["Properties"]
    assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]


def test_the_web_adapter_streams_on_the_right_architecture() -> None:
    stream = FUNCTIONS["stream"]
    environment = stream["environment"]
    assert environment["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert environment["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert environment["AWS_LWA_READINESS_CHECK_PATH"].startswith("/api/v1/")
    layer = "Arm64" if CONFIG["provider"]["architecture"] == "arm64" else "X86"
    assert [f"LambdaAdapterLayer{layer}:" in arn for arn in stream["layers"]] == [True]


def test_iam_grants_exactly_the_secret_it_reads() -> None:
    statements = CONFIG["provider"]["iam"]["role"]["statements"]
    parameter = CONFIG["provider"]["environment"]["BURSTREAM_JWT_SECRET_SSM_PARAMETER"]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:aws:ssm:${{aws:region}}:${{aws:accountId}}:parameter{parameter}",
        }
    ]
    assert CONFIG["params"]["default"]["jwtSecretParameter"].startswith("/")


def test_the_local_gateway_defaults_match_the_buffered_function() -> None:
    defaults = GatewayLimits()
    assert defaults.function_timeout_seconds == FUNCTIONS["api"]["timeout"]
    assert defaults.integration_timeout_seconds == _settings("api").gateway_timeout_seconds


def test_the_deploy_guide_names_what_serverless_yml_sets() -> None:
    guide = (ROOT / "README.md").read_text()
    variables = set(CONFIG["provider"]["environment"])
    for function in FUNCTIONS.values():
        variables |= set(function.get("environment", {}))
    missing = [name for name in sorted(variables) if name not in guide]
    assert not missing, f"README.md does not mention {missing}"
    for param in CONFIG["params"]["default"]:
        assert param in guide
    for name in ("serverless.yml", "handlers/lambda_http.handler", "scripts/lambda-stream.sh"):
        assert name in guide
