"""An identity provider for the tests: RSA keys made here, a JWKS served on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def token(self, *, kid: str | None = "own", ttl: int = 3600, **claims: Any) -> str:
        """An RS256 token for tenant ``acme`` with both scopes, signed by this key."""
        now = int(time.time())
        body = {
            "sub": "idp-user",
            "tenants": ["acme"],
            "scope": "subscribe publish",
            "iat": now,
            "exp": now + ttl,
            **claims,
        }
        headers = {} if kid is None else {"kid": self.kid if kid == "own" else kid}
        return jwt.encode(body, self.private, algorithm="RS256", headers=headers)


@dataclass
class Provider:
    url: str
    keys: list[SigningKey]
    fetches: int = 0
    down: bool = False

    def document(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.keys]}


@contextmanager
def provider(*keys: SigningKey) -> Iterator[Provider]:
    """Serve ``keys`` as a JWKS on 127.0.0.1; the test may change ``keys`` and ``down``."""
    state = Provider("", list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            if state.down:
                self.send_error(503)
                return
            body = json.dumps(state.document()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{http.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=http.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=10)
