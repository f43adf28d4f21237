"""Tenant and stream names: accepted as DESIGN.md says, refused otherwise, never repaired."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.names import stream_name, tenant_name

TENANT_OK = [
    ("acme", "word"),
    ("a", "one-char"),
    ("0", "one-digit"),
    ("acme-2", "dash-digit"),
    ("9lives", "leading-digit"),
    ("a-", "trailing-dash"),
    ("a--b", "double-dash"),
    ("a" * 63, "63-chars"),
]

TENANT_BAD = [
    ("", "empty"),
    ("Acme", "upper-case"),
    ("ACME", "all-upper"),
    ("{acme}", "hash-tag-braces"),
    ("acme}", "closing-brace"),
    ("a:b", "colon"),
    ("a*", "star"),
    ("a?", "question-mark"),
    ("a.b", "dot"),
    ("a_b", "underscore"),
    ("a/b", "slash"),
    ("a b", "space"),
    (" acme", "leading-space"),
    ("acme\n", "trailing-newline"),
    ("acme\r", "trailing-cr"),
    ("ac\x00me", "nul"),
    ("-acme", "leading-dash"),
    (".acme", "leading-dot"),
    ("a" * 64, "64-chars"),
    ("\u00e4cme", "non-ascii-letter"),
    ("acm\u0435", "cyrillic-e"),
    ("\u0661", "arabic-indic-digit"),
    ("\u212acme", "kelvin-sign"),
]

STREAM_OK = [
    ("metrics", "word"),
    ("m", "one-char"),
    ("0", "one-digit"),
    ("metrics.cpu", "dot"),
    ("job_42", "underscore"),
    ("job-42", "dash"),
    ("a.b.c", "two-dots-apart"),
    ("a.", "trailing-dot"),
    ("a" * 128, "128-chars"),
]

STREAM_BAD = [
    ("", "empty"),
    ("Metrics", "upper-case"),
    ("{metrics}", "hash-tag-braces"),
    ("a:b", "colon"),
    ("a*", "star"),
    ("a..b", "double-dot"),
    ("a...b", "triple-dot"),
    ("a..", "trailing-double-dot"),
    ("..", "only-dots"),
    ("a/b", "slash"),
    ("a b", "space"),
    ("metrics\n", "trailing-newline"),
    ("-metrics", "leading-dash"),
    (".metrics", "leading-dot"),
    ("_metrics", "leading-underscore"),
    ("a" * 129, "129-chars"),
    ("m\u00e9trics", "non-ascii"),
    ("\uff4d", "fullwidth-letter"),
]


@pytest.mark.parametrize("value", [v for v, _ in TENANT_OK], ids=[i for _, i in TENANT_OK])
def test_tenant_name_accepts(value: str) -> None:
    assert tenant_name(value) == value


@pytest.mark.parametrize("value", [v for v, _ in TENANT_BAD], ids=[i for _, i in TENANT_BAD])
def test_tenant_name_refuses(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        tenant_name(value)

    assert caught.value.code == "invalid_tenant"


@pytest.mark.parametrize("value", [v for v, _ in STREAM_OK], ids=[i for _, i in STREAM_OK])
def test_stream_name_accepts(value: str) -> None:
    assert stream_name(value) == value


@pytest.mark.parametrize("value", [v for v, _ in STREAM_BAD], ids=[i for _, i in STREAM_BAD])
def test_stream_name_refuses(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        stream_name(value)

    assert caught.value.code == "invalid_stream"


def test_refusal_quotes_a_truncated_value() -> None:
    with pytest.raises(InvalidInput) as caught:
        stream_name("X" * 500)

    assert "X" * 80 in caught.value.detail
    assert "X" * 81 not in caught.value.detail
