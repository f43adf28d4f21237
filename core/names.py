"""Tenant and stream names: checked strictly, never normalised.

A name becomes part of a Redis key, so anything that could reach into another tenant's keys
(hash-tag braces, ``:``, ``*``, ``..``, upper case, non-ASCII) is refused, not repaired:
``Acme`` is rejected rather than merged with ``acme``.
"""

from __future__ import annotations

import re

from core.errors import InvalidInput

TENANT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
STREAM_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"
"""The rules as DESIGN.md writes them (and OpenAPI shows them); streams also refuse ``..``."""

_TENANT = re.compile(TENANT_PATTERN[1:-1])
_STREAM = re.compile(STREAM_PATTERN[1:-1])


def tenant_name(value: str) -> str:
    """Return ``value`` if it is a valid tenant name, else raise ``InvalidInput``."""
    if not _TENANT.fullmatch(value):
        raise InvalidInput(
            f"invalid tenant name {value[:80]!r}: expected {TENANT_PATTERN}",
            code="invalid_tenant",
        )
    return value


def stream_name(value: str) -> str:
    """Return ``value`` if it is a valid stream name, else raise ``InvalidInput``."""
    if not _STREAM.fullmatch(value) or ".." in value:
        raise InvalidInput(
            f"invalid stream name {value[:80]!r}: expected {STREAM_PATTERN} without '..'",
            code="invalid_stream",
        )
    return value
