"""An identity provider's signing keys, from its JWKS URL, for RS256 bearer tokens.

Timing rules:
- The key set is fetched on first use and kept for ``cache_seconds``; concurrent requests
  share one fetch (a lock, re-checked after waiting), so a cold start never fans out.
- A token whose ``kid`` is not in the set triggers one refetch at once (the provider rotated
  its keys). Unknown ``kid``s that a refetch does not find start a cooldown during which they
  are refused without fetching: otherwise anyone could make every request fetch the set.
- A fetch is bounded (``FETCH_TIMEOUT_SECONDS``). If it fails while a set is cached, the old
  set stays in use for ``RETRY_SECONDS`` more (keys rotate slowly, providers publish new keys
  ahead of use), so requests do not queue behind a provider that is down; with no set at all,
  the request is ``503``: the caller's token may well be valid, so ``401`` would lie.

The fetch is async (httpx), never a blocking call on the event loop, and opens a client per
fetch: fetches are rare, and nothing is left open for the process to close.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt

from core.errors import StoreUnavailable, Unauthorized

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 3.0
MISS_COOLDOWN_SECONDS = 30.0
RETRY_SECONDS = 10.0

Fetch = Callable[[str], Awaitable[Any]]
"""Fetch a URL's JSON document; raises ``OSError``/``httpx.HTTPError``/``ValueError``."""


async def fetch_json(url: str) -> Any:
    """GET ``url`` and decode its JSON body, within ``FETCH_TIMEOUT_SECONDS``."""
    async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as client:
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()


class JwksKeys:
    """``infra.tokens.KeySource`` backed by a JWKS URL."""

    def __init__(
        self,
        url: str,
        *,
        algorithm: str,
        cache_seconds: float,
        fetch: Fetch = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._algorithm = algorithm
        self._cache_seconds = cache_seconds
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str | None, jwt.PyJWK] | None = None
        self._fetched_at = -float("inf")
        self._attempted_at = -float("inf")
        self._missed_at = -float("inf")
        self._lock = asyncio.Lock()

    async def key_for(self, token: str) -> Any:
        """The public key for ``token``'s ``kid``; ``Unauthorized`` when the set has none."""
        kid = _kid(token)
        keys = await self._current()
        if _pick(keys, kid) is None and self._clock() - self._missed_at >= MISS_COOLDOWN_SECONDS:
            keys = await self._refresh(self._clock())
            if _pick(keys, kid) is None:
                self._missed_at = self._clock()
        key = _pick(keys, kid)
        if key is None:
            raise Unauthorized(f"no signing key for kid {kid!r}", code="token_unknown_key")
        return key.key

    async def _current(self) -> dict[str | None, jwt.PyJWK]:
        if self._keys is not None and self._clock() - self._fetched_at < self._cache_seconds:
            return self._keys
        return await self._refresh(self._clock())

    async def _refresh(self, wanted_after: float) -> dict[str | None, jwt.PyJWK]:
        """The key set as fetched at or after ``wanted_after``: one attempt serves every waiter."""
        async with self._lock:
            if self._attempted_at < wanted_after:
                self._attempted_at = self._clock()
                await self._fetch_now()
        if self._keys is None:
            raise StoreUnavailable(
                "identity provider keys unavailable; retry shortly", code="keys_unavailable"
            )
        return self._keys

    async def _fetch_now(self) -> None:
        try:
            self._keys = _parse(await self._fetch(self._url), self._algorithm)
        except (OSError, httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            log.warning("JWKS fetch from %s failed: %s", self._url, exc)
            if self._keys is not None:
                self._fetched_at = self._clock() - self._cache_seconds + RETRY_SECONDS
            return
        self._fetched_at = self._clock()


def _kid(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}", code="invalid_token") from None
    return kid if isinstance(kid, str) else None


def _parse(document: Any, algorithm: str) -> dict[str | None, jwt.PyJWK]:
    """The signing keys of a JWKS document usable with ``algorithm``, by ``kid``."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("JWKS document has no 'keys' list")
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("alg", algorithm) != algorithm:
            continue
        try:
            key = jwt.PyJWK(entry, algorithm=algorithm)
        except jwt.PyJWTError:
            continue
        keys[key.key_id] = key
    return keys


def _pick(keys: dict[str | None, jwt.PyJWK], kid: str | None) -> jwt.PyJWK | None:
    """The key for ``kid``; a token without ``kid`` may use a set's only key."""
    if kid is None and len(keys) == 1:
        return next(iter(keys.values()))
    return keys.get(kid) if kid is not None else None
