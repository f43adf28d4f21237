"""Translate redis-py's exceptions into ``core`` errors where they arise, and keep its
cancellations.

Connection failures, timeouts (including waiting for a pooled connection), a server that is
still loading, refuses for want of memory, auth or a cluster slot, or does not speak Redis at
all (a proxy on the port) all mean the same to a client: the store is unavailable, try again.
Any other error reply is a bug of ours and stays one.

redis-py can swallow a cancellation: when a cancel lands while a command's pooled connection is
being handed back, the command returns normally and the cancel is lost (seen with 20 clients
leaving at once: their bursts kept running to the deadline). A burst whose client went away must
stop at once, so a cancellation requested during a store call is raised again when it returns.
"""

from __future__ import annotations

import asyncio
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
_REFUSALS = (
    "OOM",
    "READONLY",
    "MASTERDOWN",
    "LOADING",
    "CLUSTERDOWN",
    "TRYAGAIN",
    "MOVED",
    "ASK",
    "NOAUTH",
    "WRONGPASS",
    "NOPERM",
)


@contextmanager
def store_errors() -> Iterator[None]:
    """Raise ``StoreUnavailable`` for any failure to reach the store; never lose a cancel."""
    task = asyncio.current_task()
    pending = task.cancelling() if task is not None else 0
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StoreUnavailable(f"event store unavailable: {type(exc).__name__}") from exc
    except redis_errors.ResponseError as exc:
        if str(exc).startswith(_REFUSALS):
            raise StoreUnavailable(f"event store refused the command: {exc}") from exc
        raise
    except redis_errors.RedisError as exc:
        raise StoreUnavailable(f"event store misbehaved: {type(exc).__name__}") from exc
    if task is not None and task.cancelling() > pending:
        raise asyncio.CancelledError
