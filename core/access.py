"""Who a caller is (a ``Principal``, read from verified token claims) and what it may touch.

Claims are checked here, purely; signature checks live in the adapter that verifies tokens.
A token names its tenants (``tenants`` list or ``tenant`` string), its scopes (space-separated
``scope``) and optionally the streams it may touch (``streams``, glob patterns).

A principal also says when its credential expires and whether it came from a ticket: a ticket
may subscribe, but it can never be traded for another ticket (that would let a leaked ticket
renew itself past the bearer token it came from).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import TypeGuard

import msgspec

from core.errors import Forbidden, Unauthorized


class Scope(StrEnum):
    SUBSCRIBE = "subscribe"
    PUBLISH = "publish"


class Principal(msgspec.Struct, frozen=True):
    """A verified caller: its subject, tenants, scopes and (optionally) stream patterns.

    ``expires_at`` (Unix seconds) is set by the verifier from ``exp``; ``ticket`` marks a
    principal read from an EventSource ticket rather than a bearer token.
    """

    subject: str
    tenants: frozenset[str]
    scopes: frozenset[str]
    streams: tuple[str, ...] | None = None
    expires_at: int | None = None
    ticket: bool = False


def principal_from_claims(claims: Mapping[str, object]) -> Principal:
    """Build a principal from verified claims; malformed claims are ``Unauthorized``."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("token has no subject", code="invalid_token")
    return Principal(
        subject=subject,
        tenants=_tenants(claims),
        scopes=frozenset(_string(claims, "scope", "").split()),
        streams=_patterns(claims),
    )


def authorize(principal: Principal, tenant: str, scope: Scope, stream: str | None) -> None:
    """Raise ``Forbidden`` unless ``principal`` may use ``scope`` on ``tenant``/``stream``."""
    if tenant not in principal.tenants:
        raise Forbidden(f"token does not grant tenant {tenant!r}", code="tenant_forbidden")
    if scope not in principal.scopes:
        raise Forbidden(f"token lacks the {scope.value!r} scope", code="scope_forbidden")
    if stream is not None and not may_touch(principal, stream):
        raise Forbidden(f"token does not grant stream {stream!r}", code="stream_forbidden")


def may_touch(principal: Principal, stream: str) -> bool:
    """Whether the token's ``streams`` patterns (if any) admit ``stream``."""
    if principal.streams is None:
        return True
    return any(fnmatchcase(stream, pattern) for pattern in principal.streams)


def _tenants(claims: Mapping[str, object]) -> frozenset[str]:
    many = claims.get("tenants")
    one = claims.get("tenant")
    if many is None and one is None:
        return frozenset()
    if many is not None and not _is_str_list(many):
        raise Unauthorized("claim 'tenants' must be a list of strings", code="invalid_token")
    if one is not None and not isinstance(one, str):
        raise Unauthorized("claim 'tenant' must be a string", code="invalid_token")
    found = set(many) if isinstance(many, list) else set()
    if isinstance(one, str):
        found.add(one)
    return frozenset(found)


def _patterns(claims: Mapping[str, object]) -> tuple[str, ...] | None:
    streams = claims.get("streams")
    if streams is None:
        return None
    if not _is_str_list(streams):
        raise Unauthorized("claim 'streams' must be a list of strings", code="invalid_token")
    return tuple(streams)


def _string(claims: Mapping[str, object], name: str, default: str) -> str:
    value = claims.get(name, default)
    if not isinstance(value, str):
        raise Unauthorized(f"claim {name!r} must be a string", code="invalid_token")
    return value


def _is_str_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
