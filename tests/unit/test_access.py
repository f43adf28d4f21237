"""Principals read from verified claims, and what they may touch."""

from __future__ import annotations

import pytest

from core.access import Principal, Scope, authorize, may_touch, principal_from_claims
from core.errors import Forbidden, Unauthorized


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (
            {"sub": "u1", "tenants": ["acme", "beta"], "scope": "subscribe publish"},
            Principal("u1", frozenset({"acme", "beta"}), frozenset({"subscribe", "publish"})),
        ),
        (
            {"sub": "u1", "tenant": "acme", "scope": "subscribe"},
            Principal("u1", frozenset({"acme"}), frozenset({"subscribe"})),
        ),
        (
            {"sub": "u1", "tenants": ["acme"], "tenant": "beta", "scope": "publish"},
            Principal("u1", frozenset({"acme", "beta"}), frozenset({"publish"})),
        ),
        (
            {"sub": "u1", "tenants": ["acme"], "tenant": "acme"},
            Principal("u1", frozenset({"acme"}), frozenset()),
        ),
        (
            {"sub": "u1"},
            Principal("u1", frozenset(), frozenset()),
        ),
        (
            {"sub": "u1", "tenants": [], "scope": ""},
            Principal("u1", frozenset(), frozenset()),
        ),
        (
            {"sub": "u1", "tenant": "acme", "scope": "  subscribe\tpublish \n extra  "},
            Principal("u1", frozenset({"acme"}), frozenset({"subscribe", "publish", "extra"})),
        ),
        (
            {"sub": "u1", "tenant": "acme", "scope": "subscribe", "streams": ["metrics.*", "a"]},
            Principal("u1", frozenset({"acme"}), frozenset({"subscribe"}), ("metrics.*", "a")),
        ),
        (
            {"sub": "u1", "tenant": "acme", "streams": []},
            Principal("u1", frozenset({"acme"}), frozenset(), ()),
        ),
        (
            {"sub": "u1", "tenant": "acme", "exp": 1, "iat": 0, "aud": "x"},
            Principal("u1", frozenset({"acme"}), frozenset()),
        ),
    ],
    ids=[
        "tenants-list",
        "tenant-string",
        "both-merge",
        "both-same",
        "no-tenants",
        "empty-tenants-and-scope",
        "scope-any-whitespace",
        "streams-patterns",
        "streams-empty",
        "other-claims-ignored",
    ],
)
def test_principal_from_claims(claims: dict[str, object], expected: Principal) -> None:
    assert principal_from_claims(claims) == expected


MALFORMED = [
    ({"tenant": "acme"}, "missing-sub"),
    ({"sub": "", "tenant": "acme"}, "empty-sub"),
    ({"sub": 42, "tenant": "acme"}, "int-sub"),
    ({"sub": None, "tenant": "acme"}, "null-sub"),
    ({"sub": "u", "tenants": "acme"}, "tenants-string"),
    ({"sub": "u", "tenants": ["acme", 1]}, "tenants-non-string-item"),
    ({"sub": "u", "tenants": {"acme": True}}, "tenants-object"),
    ({"sub": "u", "tenant": ["acme"]}, "tenant-list"),
    ({"sub": "u", "tenant": 7}, "tenant-int"),
    ({"sub": "u", "tenants": "acme", "tenant": "acme"}, "both-one-bad"),
    ({"sub": "u", "tenant": "acme", "scope": ["subscribe"]}, "scope-list"),
    ({"sub": "u", "tenant": "acme", "scope": None}, "scope-null"),
    ({"sub": "u", "tenant": "acme", "streams": "metrics"}, "streams-string"),
    ({"sub": "u", "tenant": "acme", "streams": ["a", None]}, "streams-non-string-item"),
]


@pytest.mark.parametrize("claims", [c for c, _ in MALFORMED], ids=[i for _, i in MALFORMED])
def test_malformed_claims_are_invalid_token(claims: dict[str, object]) -> None:
    with pytest.raises(Unauthorized) as caught:
        principal_from_claims(claims)

    assert caught.value.code == "invalid_token"


def _principal(streams: tuple[str, ...] | None = None) -> Principal:
    return Principal("u1", frozenset({"acme"}), frozenset({"subscribe"}), streams)


@pytest.mark.parametrize(
    ("tenant", "scope", "stream", "streams"),
    [
        ("acme", Scope.SUBSCRIBE, "metrics", None),
        ("acme", Scope.SUBSCRIBE, None, None),
        ("acme", Scope.SUBSCRIBE, None, ()),
        ("acme", Scope.SUBSCRIBE, "metrics.cpu", ("metrics.*",)),
        ("acme", Scope.SUBSCRIBE, "alerts", ("metrics.*", "alerts")),
        ("acme", Scope.SUBSCRIBE, "job-7", ("job-?",)),
        ("acme", Scope.SUBSCRIBE, "b-feed", ("[ab]-feed",)),
        ("acme", Scope.SUBSCRIBE, "anything.at_all", ("*",)),
    ],
    ids=[
        "no-stream-restriction",
        "tenant-level",
        "tenant-level-ignores-streams",
        "star-glob",
        "second-pattern",
        "question-glob",
        "class-glob",
        "match-all",
    ],
)
def test_authorize_allows(
    tenant: str, scope: Scope, stream: str | None, streams: tuple[str, ...] | None
) -> None:
    authorize(_principal(streams), tenant, scope, stream)


@pytest.mark.parametrize(
    ("tenant", "scope", "stream", "streams", "code"),
    [
        ("beta", Scope.SUBSCRIBE, "metrics", None, "tenant_forbidden"),
        ("Acme", Scope.SUBSCRIBE, "metrics", None, "tenant_forbidden"),
        ("beta", Scope.PUBLISH, "metrics", ("x",), "tenant_forbidden"),
        ("acme", Scope.PUBLISH, "metrics", None, "scope_forbidden"),
        ("acme", Scope.PUBLISH, "metrics", ("x",), "scope_forbidden"),
        ("acme", Scope.SUBSCRIBE, "alerts", ("metrics.*",), "stream_forbidden"),
        ("acme", Scope.SUBSCRIBE, "metricsxcpu", ("metrics.*",), "stream_forbidden"),
        ("acme", Scope.SUBSCRIBE, "metrics", ("metrics.*",), "stream_forbidden"),
        ("acme", Scope.SUBSCRIBE, "alerts2", ("alerts",), "stream_forbidden"),
        ("acme", Scope.SUBSCRIBE, "job-12", ("job-?",), "stream_forbidden"),
        ("acme", Scope.SUBSCRIBE, "metrics.cpu", ("Metrics.*",), "stream_forbidden"),
        ("acme", Scope.SUBSCRIBE, "c-feed", ("[ab]-feed",), "stream_forbidden"),
        ("acme", Scope.SUBSCRIBE, "metrics", (), "stream_forbidden"),
    ],
    ids=[
        "other-tenant",
        "tenant-case-sensitive",
        "tenant-checked-first",
        "missing-scope",
        "scope-checked-before-stream",
        "unlisted-stream",
        "dot-is-literal",
        "star-needs-the-dot",
        "exact-pattern-is-exact",
        "question-is-one-char",
        "glob-case-sensitive",
        "class-glob-miss",
        "empty-stream-list",
    ],
)
def test_authorize_forbids(
    tenant: str, scope: Scope, stream: str, streams: tuple[str, ...] | None, code: str
) -> None:
    with pytest.raises(Forbidden) as caught:
        authorize(_principal(streams), tenant, scope, stream)

    assert caught.value.code == code


def test_authorize_with_claims_end_to_end() -> None:
    principal = principal_from_claims(
        {"sub": "svc", "tenant": "acme", "scope": "publish", "streams": ["jobs.*"]}
    )

    authorize(principal, "acme", Scope.PUBLISH, "jobs.42")
    with pytest.raises(Forbidden) as caught:
        authorize(principal, "acme", Scope.SUBSCRIBE, "jobs.42")
    assert caught.value.code == "scope_forbidden"


@pytest.mark.parametrize(
    ("streams", "stream", "expected"),
    [(None, "x", True), ((), "x", False), (("x*",), "xy", True), (("x*",), "yx", False)],
    ids=["unrestricted", "none-listed", "match", "no-match"],
)
def test_may_touch(streams: tuple[str, ...] | None, stream: str, expected: bool) -> None:
    assert may_touch(_principal(streams), stream) is expected
