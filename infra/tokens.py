"""Bearer tokens: verify a JWT's signature and standard claims, then read its principal.

Only the configured algorithm is accepted (``alg: none`` and any other algorithm are refused),
``sub`` and ``exp`` are required, ``aud``/``iss`` are checked when configured. PyJWT's
exceptions are translated here into ``Unauthorized`` with a stable code.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import jwt

from core.access import Principal, principal_from_claims
from core.errors import Unauthorized

_LEEWAY_SECONDS = 5


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    """Verifies tokens signed with one shared secret (HS256 by default)."""

    secret: str
    algorithm: str = "HS256"
    audience: str | None = None
    issuer: str | None = None

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; ``Unauthorized`` for anything else."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token has expired", code="token_expired") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid token: {exc}", code="invalid_token") from None
        return principal_from_claims(claims)

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
