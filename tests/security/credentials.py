"""Credentials for the security tests: good ones, and every way one can be wrong."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from typing import Any

import httpx
import jwt

from core.tickets import TicketGrant
from infra.tokens import TicketSigner, TokenVerifier
from tests.server import SECRET

OTHER_SECRET = "not-the-server-secret-but-just-as-long-0123456789"
BOTH = ("subscribe", "publish")


def mint(
    tenants: Iterable[str] = ("acme",),
    scopes: Iterable[str] = BOTH,
    *,
    subject: str = "alice",
    ttl: int = 3600,
    streams: Iterable[str] | None = None,
    secret: str = SECRET,
    algorithm: str = "HS256",
) -> str:
    """A bearer token; every argument can be made wrong."""
    verifier = TokenVerifier(secret, algorithm=algorithm)
    return verifier.mint(subject, tenants, scopes, ttl_seconds=ttl, streams=streams)


def unsigned(tenants: Iterable[str] = ("acme",)) -> str:
    """A token with ``alg: none`` and no signature, claims otherwise valid."""
    claims = {"sub": "alice", "tenants": list(tenants), "scope": "subscribe publish"}
    claims["exp"] = int(time.time()) + 3600
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_ticket(
    tenant: str, streams: Iterable[str], *, subject: str = "alice", expires_in: int = 60
) -> str:
    """A ticket signed as the server signs them (expired when ``expires_in`` < 0)."""
    now = int(time.time())
    grant = TicketGrant(subject, tenant, tuple(streams), now - 3600, now + expires_in)
    return TicketSigner(SECRET).sign(grant)


async def issue_ticket(
    client: httpx.AsyncClient,
    base: str,
    tenant: str,
    body: dict[str, Any],
    token: str | None = None,
) -> httpx.Response:
    """``POST /tenants/{tenant}/tickets`` with a bearer token (a full-rights one by default)."""
    headers = bearer(token or mint([tenant]))
    return await client.post(f"{base}/api/v1/tenants/{tenant}/tickets", json=body, headers=headers)


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified (to look at what the server put in a ticket)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _b64(part: dict[str, Any]) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
