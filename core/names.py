"""Tenant and stream names: checked strictly, never normalised.

A name becomes part of a Redis key, so anything that could reach into another tenant's keys
(hash-tag braces, ``:``, ``*``, ``..``, upper case, non-ASCII) is refused, not repaired:
``Acme`` is rejected rather than merged with ``acme``.
"""

from __future__ import annotations

import re

from core.errors import InvalidInput

_TENANT = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_STREAM = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")


def tenant_name(value: str) -> str:
    """Return ``value`` if it is a valid tenant name, else raise ``InvalidInput``."""
    if not _TENANT.fullmatch(value):
        raise InvalidInput(
            f"invalid tenant name {value[:80]!r}: expected ^[a-z0-9][a-z0-9-]{{0,62}}$",
            code="invalid_tenant",
        )
    return value


def stream_name(value: str) -> str:
    """Return ``value`` if it is a valid stream name, else raise ``InvalidInput``."""
    if not _STREAM.fullmatch(value) or ".." in value:
        raise InvalidInput(
            f"invalid stream name {value[:80]!r}: expected ^[a-z0-9][a-z0-9._-]{{0,127}}$"
            " without '..'",
            code="invalid_stream",
        )
    return value
