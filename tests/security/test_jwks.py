"""RS256 bearer tokens from an identity provider, verified against its JWKS (served locally)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from core.errors import StoreUnavailable, Unauthorized
from infra.jwks import MISS_COOLDOWN_SECONDS, JwksKeys
from infra.settings import SettingsError
from tests.security.credentials import bearer, issue_ticket, mint
from tests.security.jwks_server import Provider, SigningKey, provider
from tests.server import RunningServer, serve, settings_for

pytestmark = pytest.mark.anyio

ONE, TWO, ROGUE = SigningKey("k1"), SigningKey("k2"), SigningKey("k1")


@pytest.fixture
def idp() -> Iterator[Provider]:
    with provider(ONE) as running:
        yield running


@pytest.fixture
def rs256(redis_url: str, prefix: str, idp: Provider) -> Iterator[RunningServer]:
    settings = settings_for(redis_url, prefix, jwt_algorithm="RS256", jwt_jwks_url=idp.url)
    with serve(settings) as running:
        yield running


async def _history(server: RunningServer, token: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(
            f"{server.url}/api/v1/tenants/acme/streams/m/history", headers=bearer(token)
        )


def _answer(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error")


async def test_a_providers_token_is_accepted_and_its_keys_cached(
    rs256: RunningServer, idp: Provider
) -> None:
    answers = [_answer(await _history(rs256, ONE.token())) for _ in range(3)]
    assert answers == [(200, None)] * 3
    assert idp.fetches == 1


async def test_a_rotated_key_is_fetched_on_its_first_token(
    rs256: RunningServer, idp: Provider
) -> None:
    assert _answer(await _history(rs256, ONE.token())) == (200, None)
    idp.keys = [ONE, TWO]
    assert _answer(await _history(rs256, TWO.token())) == (200, None)
    assert _answer(await _history(rs256, ONE.token())) == (200, None)
    assert idp.fetches == 2


async def test_unknown_kids_refetch_once_then_cool_down(
    rs256: RunningServer, idp: Provider
) -> None:
    first = await _history(rs256, ONE.token(kid="nobody"))
    second = await _history(rs256, ONE.token(kid="nobody-else"))
    assert _answer(first) == _answer(second) == (401, "token_unknown_key")
    assert idp.fetches == 2


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda: ROGUE.token(), "token_bad_signature"),
        (lambda: mint(), "token_algorithm_refused"),
        (lambda: _hs256_with_public_key(ONE), "token_algorithm_refused"),
        (lambda: ONE.token(ttl=-60), "token_expired"),
        (lambda: "not.a.jwt", "invalid_token"),
    ],
    ids=[
        "same-kid-other-key",
        "hs256-with-server-secret",
        "hs256-with-public-key",
        "expired",
        "garbage",
    ],
)
async def test_refused_tokens(rs256: RunningServer, make_token: Any, code: str) -> None:
    assert _answer(await _history(rs256, make_token())) == (401, code)


async def test_tickets_work_with_provider_tokens(rs256: RunningServer) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        issued = await issue_ticket(client, rs256.url, "acme", {"streams": ["m"]}, ONE.token())
        assert issued.status_code == 201, issued.text
        page = await client.get(
            f"{rs256.url}/api/v1/tenants/acme/streams/m/history",
            params={"ticket": issued.json()["ticket"]},
        )
    assert page.status_code == 200


async def test_a_provider_that_cannot_be_reached_is_503_not_401(
    redis_url: str, prefix: str, idp: Provider
) -> None:
    idp.down = True
    settings = settings_for(redis_url, prefix, jwt_algorithm="RS256", jwt_jwks_url=idp.url)
    with serve(settings) as server:
        response = await _history(server, ONE.token())
    assert _answer(response) == (503, "keys_unavailable")
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("overrides", "token_claims", "code"),
    [
        ({"jwt_audience": "burstream"}, {"aud": "burstream"}, None),
        ({"jwt_audience": "burstream"}, {"aud": "someone-else"}, "token_wrong_audience"),
        ({"jwt_audience": "burstream"}, {}, "token_missing_claim"),
        ({"jwt_issuer": "https://idp.example"}, {"iss": "https://idp.example"}, None),
        (
            {"jwt_issuer": "https://idp.example"},
            {"iss": "https://evil.example"},
            "token_wrong_issuer",
        ),
    ],
    ids=["audience-ok", "wrong-audience", "no-audience", "issuer-ok", "wrong-issuer"],
)
async def test_audience_and_issuer_when_configured(
    redis_url: str,
    prefix: str,
    idp: Provider,
    overrides: dict[str, str],
    token_claims: dict[str, str],
    code: str | None,
) -> None:
    settings = settings_for(
        redis_url, prefix, jwt_algorithm="RS256", jwt_jwks_url=idp.url, **overrides
    )
    with serve(settings) as server:
        response = await _history(server, ONE.token(**token_claims))
    assert _answer(response) == ((200, None) if code is None else (401, code))


@pytest.mark.parametrize(
    "overrides",
    [{"jwt_algorithm": "RS256"}, {"jwt_jwks_url": "http://127.0.0.1:9/jwks.json"}],
    ids=["rs256-without-url", "url-without-rs256"],
)
def test_jwks_settings_go_together(prefix: str, overrides: dict[str, str]) -> None:
    with (
        pytest.raises(SettingsError, match="BURSTREAM_JWT_JWKS_URL"),
        serve(settings_for(None, prefix, **overrides)),
    ):
        pass


class _FakeProvider:
    """A JWKS fetch and a clock the test moves by hand."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.down = False
        self.now = 1000.0

    async def fetch(self, url: str) -> Any:
        self.fetches += 1
        if self.down:
            raise OSError("connection refused")
        return {"keys": [key.jwk() for key in self.keys]}

    def source(self, cache_seconds: float = 60) -> JwksKeys:
        return JwksKeys(
            "http://idp.invalid/jwks",
            algorithm="RS256",
            cache_seconds=cache_seconds,
            fetch=self.fetch,
            clock=lambda: self.now,
        )


async def test_the_key_set_is_refetched_after_its_cache_time() -> None:
    fake = _FakeProvider(ONE)
    keys = fake.source(cache_seconds=60)
    await keys.key_for(ONE.token())
    fake.now += 59
    await keys.key_for(ONE.token())
    assert fake.fetches == 1
    fake.now += 2
    await keys.key_for(ONE.token())
    assert fake.fetches == 2


async def test_a_cached_set_outlives_a_provider_outage() -> None:
    fake = _FakeProvider(ONE)
    keys = fake.source(cache_seconds=60)
    await keys.key_for(ONE.token())
    fake.down, fake.now = True, fake.now + 120
    assert await keys.key_for(ONE.token()) is not None
    assert await keys.key_for(ONE.token()) is not None
    assert fake.fetches == 2


async def test_no_set_at_all_is_unavailable_and_retried() -> None:
    fake = _FakeProvider(ONE)
    fake.down = True
    keys = fake.source()
    with pytest.raises(StoreUnavailable):
        await keys.key_for(ONE.token())
    fake.down, fake.now = False, fake.now + 1
    assert await keys.key_for(ONE.token()) is not None
    assert fake.fetches == 2


async def test_the_unknown_kid_cooldown_ends() -> None:
    fake = _FakeProvider(ONE)
    keys = fake.source()
    await keys.key_for(ONE.token())
    fake.now += 1
    for kid in ("x", "y"):
        with pytest.raises(Unauthorized):
            await keys.key_for(ONE.token(kid=kid))
    assert fake.fetches == 2
    fake.keys.append(TWO)
    fake.now += MISS_COOLDOWN_SECONDS
    assert await keys.key_for(TWO.token()) is not None
    assert fake.fetches == 3


async def test_a_token_without_kid_uses_a_single_key_only() -> None:
    fake = _FakeProvider(ONE)
    keys = fake.source()
    assert await keys.key_for(ONE.token(kid=None)) is not None
    fake.keys.append(TWO)
    fake.now += 3600
    with pytest.raises(Unauthorized):
        await keys.key_for(ONE.token(kid=None))


def _hs256_with_public_key(key: SigningKey) -> str:
    """The classic confusion attack: HS256 with the provider's public key as the secret."""
    pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {"sub": "x", "tenants": ["acme"], "scope": "subscribe", "exp": now + 60}
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{_b64(claims)}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _b64(part: dict[str, Any]) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
