"""Translate redis-py's exceptions into ``core`` errors where they arise.

Connection failures, timeouts (including waiting for a pooled connection) and a server that is
still loading its data all mean the same to a client: the store is unavailable, try again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis import exceptions as redis_errors

from core.errors import StoreUnavailable

_UNAVAILABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    TimeoutError,
    OSError,
)


@contextmanager
def store_errors() -> Iterator[None]:
    """Raise ``StoreUnavailable`` for any failure to reach the store."""
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StoreUnavailable(f"event store unavailable: {type(exc).__name__}") from exc
    except redis_errors.ResponseError as exc:
        if "OOM" in str(exc) or "READONLY" in str(exc) or "MASTERDOWN" in str(exc):
            raise StoreUnavailable(f"event store refused the command: {exc}") from exc
        raise
