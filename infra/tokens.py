"""Bearer tokens and EventSource tickets: JWTs verified (and, for tickets, signed) here.

Bearer tokens: only the configured algorithm is accepted (``alg: none`` and any other algorithm
are refused), ``sub`` and ``exp`` are required, ``aud``/``iss`` are checked when configured. The
key is the shared secret (HS*) or, for RS256, the identity provider's public key for the token's
``kid``, from its JWKS (``infra.jwks``).

Tickets are HS256 JWTs signed with a key derived from the server's secret for tickets alone, and
carry their own audience. A ticket therefore never verifies as a bearer token, nor a bearer
token as a ticket, whatever claims either carries and whatever algorithm bearers use.

PyJWT's exceptions are translated here into ``Unauthorized``, with a code per cause (expired,
bad signature, refused algorithm...) so refusals can be counted by reason.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt
import msgspec

from core.access import Principal, principal_from_claims
from core.errors import Unauthorized
from core.tickets import TicketGrant, ticket_principal

_LEEWAY_SECONDS = 5
TICKET_AUDIENCE = "burstream:ticket"
_TICKET_ALGORITHM = "HS256"
_TICKET_KEY_LABEL = b"burstream ticket signing key v1"
_CODES: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.InvalidAlgorithmError, "algorithm_refused"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
)


class KeySource(Protocol):
    """Where the verification key of a bearer token comes from (an identity provider)."""

    async def key_for(self, token: str) -> Any:
        """The public key that should have signed ``token``; ``Unauthorized`` if none."""
        ...


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    """Verifies bearer tokens: with the shared secret, or with ``keys`` (JWKS) when given."""

    secret: str
    algorithm: str = "HS256"
    audience: str | None = None
    issuer: str | None = None
    keys: KeySource | None = field(default=None, compare=False)

    def verify(self, token: str, key: Any = None) -> Principal:
        """The principal of a valid token; ``Unauthorized`` for anything else.

        ``key`` is the public key fetched for this token (``averify``); None means the secret.
        """
        claims = _decode(
            token,
            self.secret if key is None else key,
            algorithm=self.algorithm,
            audience=self.audience,
            issuer=self.issuer,
            what="token",
        )
        principal = principal_from_claims(claims)
        return msgspec.structs.replace(principal, expires_at=int(claims["exp"]))

    async def averify(self, token: str) -> Principal:
        """``verify``, fetching the token's key from ``keys`` first when they are configured."""
        key = None if self.keys is None else await self.keys.key_for(token)
        return self.verify(token, key)

    def mint(
        self,
        subject: str,
        tenants: Iterable[str],
        scopes: Iterable[str],
        *,
        ttl_seconds: int = 3600,
        streams: Iterable[str] | None = None,
    ) -> str:
        """Sign a token with this verifier's secret (the CLI's dev tokens, and tests)."""
        now = int(time.time())
        claims: dict[str, object] = {
            "sub": subject,
            "tenants": sorted(tenants),
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + ttl_seconds,
        }
        if streams is not None:
            claims["streams"] = list(streams)
        if self.audience is not None:
            claims["aud"] = self.audience
        if self.issuer is not None:
            claims["iss"] = self.issuer
        return jwt.encode(claims, self.secret, algorithm=self.algorithm)


class TicketSigner:
    """Signs and verifies EventSource tickets with a key only tickets use."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _TICKET_KEY_LABEL, hashlib.sha256).digest()

    def sign(self, grant: TicketGrant) -> str:
        """The ticket for ``grant``."""
        claims = {**grant.claims(), "aud": TICKET_AUDIENCE}
        return jwt.encode(claims, self._key, algorithm=_TICKET_ALGORITHM)

    def verify(self, ticket: str) -> Principal:
        """The (subscribe-only) principal of a valid ticket; ``Unauthorized`` otherwise.

        No leeway: tickets are issued and checked by the same fleet, on synchronised clocks.
        """
        claims = _decode(
            ticket,
            self._key,
            algorithm=_TICKET_ALGORITHM,
            audience=TICKET_AUDIENCE,
            issuer=None,
            what="ticket",
            leeway=0,
        )
        return ticket_principal(claims)


def _decode(
    token: str,
    key: Any,
    *,
    algorithm: str,
    audience: str | None,
    issuer: str | None,
    what: str,
    leeway: int = _LEEWAY_SECONDS,
) -> Mapping[str, Any]:
    try:
        claims: Mapping[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["exp", "sub"], "verify_aud": audience is not None},
        )
    except jwt.PyJWTError as exc:
        raise _unauthorized(exc, what) from None
    return claims


def _unauthorized(exc: jwt.PyJWTError, what: str) -> Unauthorized:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return Unauthorized(f"{what} has expired", code=f"{what}_expired")
    for kind, cause in _CODES:
        if isinstance(exc, kind):
            return Unauthorized(f"invalid {what}: {exc}", code=f"{what}_{cause}")
    return Unauthorized(f"invalid {what}: {exc}", code=f"invalid_{what}")
