"""The ``burstream`` command as a user runs it: a separate process against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from infra.tokens import TokenVerifier
from tests.server import SECRET, token


def _cli(*args: str, timeout: float = 30, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "BURSTREAM_JWT_SECRET": SECRET, **env}
    return subprocess.run(
        [sys.executable, "-m", "handlers.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


def test_token_is_signed_with_the_configured_secret() -> None:
    result = _cli("token", "--tenant", "acme", "--tenant", "beta", "--scope", "subscribe")
    assert result.returncode == 0, result.stderr
    principal = TokenVerifier(SECRET).verify(result.stdout.strip())
    assert principal.tenants == frozenset({"acme", "beta"})
    assert principal.scopes == frozenset({"subscribe"})


def test_token_without_a_secret_names_the_variable() -> None:
    result = _cli("token", "--tenant", "acme", BURSTREAM_JWT_SECRET="")
    assert result.returncode == 2
    assert "BURSTREAM_JWT_SECRET" in result.stderr


def test_publish_then_tail_across_bursts(make_server: Any) -> None:
    with make_server(burst_seconds=0.4) as server:
        common = ["--url", server.url, "--tenant", "acme", "--stream", "cli"]
        env = {"BURSTREAM_TOKEN": token(["acme"])}
        first = _cli("publish", *common, "--type", "metric", '{"cpu": 0.5}', **env)
        second = _cli("publish", *common, '"plain"', **env)
        tail = _cli("tail", *common, "--from", "earliest", "--bursts", "3", **env)
    assert first.returncode == second.returncode == 0
    ids = [json.loads(first.stdout)["ids"][0], json.loads(second.stdout)["ids"][0]]
    assert tail.returncode == 0, tail.stderr
    assert tail.stdout.splitlines() == [
        f'{ids[0]} metric {{"cpu":0.5}}',
        f'{ids[1]} message "plain"',
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["publish", "--tenant", "acme", "--stream", "s", "{not json"], "not JSON"),
        (["publish", "--tenant", "acme", "--stream", "s", "1"], "BURSTREAM_TOKEN"),
    ],
    ids=["bad-json", "no-token"],
)
def test_cli_refusals_are_clear(args: list[str], message: str) -> None:
    result = _cli(*args, BURSTREAM_TOKEN="")
    assert result.returncode == 2
    assert message in result.stderr
