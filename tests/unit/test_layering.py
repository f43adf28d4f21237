"""The dependency rule: ``core`` imports only the standard library, msgspec and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
ALLOWED_THIRD_PARTY = frozenset({"msgspec"})
OWN_PACKAGE = "core"


def _imported_roots(source: str) -> list[str]:
    """The top-level package of every absolute import in ``source`` (relative ones are own)."""
    roots: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.extend(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            roots.append(OWN_PACKAGE if node.level else (node.module or "").partition(".")[0])
    return roots


def _forbidden(source: str) -> list[str]:
    allowed = sys.stdlib_module_names | ALLOWED_THIRD_PARTY | {OWN_PACKAGE}
    return [root for root in _imported_roots(source) if root not in allowed]


CORE_MODULES = sorted(CORE.rglob("*.py"))


def test_core_modules_are_found() -> None:
    names = {path.name for path in CORE_MODULES}

    assert {"__init__.py", "cursor.py", "events.py", "policy.py", "sse.py"} <= names


@pytest.mark.parametrize("path", CORE_MODULES, ids=[str(p.relative_to(CORE)) for p in CORE_MODULES])
def test_core_imports_only_stdlib_msgspec_and_core(path: Path) -> None:
    assert _forbidden(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("import redis", ["redis"]),
        ("import redis.asyncio as r", ["redis"]),
        ("from infra.settings import Settings", ["infra"]),
        ("from handlers import app", ["handlers"]),
        ("from litestar import Litestar", ["litestar"]),
        ("import boto3, json", ["boto3"]),
        ("def f():\n    import httpx\n", ["httpx"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import jwt\n", ["jwt"]),
        ("import json\nfrom collections.abc import Mapping\nimport msgspec.json", []),
        ("from core.errors import InvalidInput\nfrom . import sse\nfrom .cursor import ZERO", []),
        ("from __future__ import annotations", []),
    ],
    ids=[
        "redis",
        "redis-submodule",
        "infra",
        "handlers",
        "litestar",
        "one-of-several",
        "inside-function",
        "type-checking-only",
        "stdlib-and-msgspec",
        "own-package-and-relative",
        "future",
    ],
)
def test_checker_tells_allowed_from_forbidden(source: str, forbidden: list[str]) -> None:
    assert _forbidden(source) == forbidden
