"""Tokens of an external identity provider: its keys, its algorithms, expiry, and key rotation."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.auth import claims_of
from gateway.jwks import JwksVerifier
from runtime.web import ApiError

pytestmark = pytest.mark.unit

ISSUER, AUDIENCE = "https://idp.example", "helpdesk"


class Provider:
    """An identity provider publishing its public keys; counts how often they are fetched."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.fetches = 0

    def add(self, kid: str, key: Any) -> None:
        self.keys[kid] = key

    def jwks(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        published = []
        for kid, key in self.keys.items():
            rsa_key = isinstance(key, rsa.RSAPrivateKey)
            algorithm = jwt.algorithms.RSAAlgorithm if rsa_key else jwt.algorithms.ECAlgorithm
            published.append({**json.loads(algorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig"})
        return httpx.Response(200, json={"keys": published})

    def token(self, kid: str, algorithm: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-agent", "iat": now, "exp": now + 60, **claims}
        return jwt.encode(body, self.keys[kid], algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def provider() -> Provider:
    provider = Provider()
    provider.add("k1", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return provider


def verifier(provider: Provider, cooldown: float = 0.0) -> JwksVerifier:
    http = httpx.AsyncClient(transport=httpx.MockTransport(provider.jwks), base_url="https://idp.example")
    return JwksVerifier(ISSUER, AUDIENCE, "https://idp.example/jwks", http, refetch_cooldown=cooldown)


async def refused(check: JwksVerifier, token: str) -> str:
    with pytest.raises(ApiError) as error:
        await check.verify(token)
    assert error.value.status == 401
    return error.value.code


async def test_a_token_signed_by_a_published_key_is_accepted(provider: Provider) -> None:
    claims = await verifier(provider).verify(provider.token("k1", email="agent@northwind.example"))

    assert (claims["sub"], claims["email"]) == ("u-agent", "agent@northwind.example")


async def test_an_ec_key_signs_es256_tokens(provider: Provider) -> None:
    provider.add("k2", ec.generate_private_key(ec.SECP256R1()))

    claims = await verifier(provider).verify(provider.token("k2", "ES256"))

    assert claims["sub"] == "u-agent"


async def test_expired_wrong_audience_and_wrong_issuer_are_refused(provider: Provider) -> None:
    check = verifier(provider)
    past = int(time.time()) - 3600

    assert await refused(check, provider.token("k1", exp=past, iat=past - 60)) == "token_expired"
    assert await refused(check, provider.token("k1", aud="someone-else")) == "invalid_token"
    assert await refused(check, provider.token("k1", iss="https://evil.example")) == "invalid_token"


async def test_an_unsigned_token_is_refused(provider: Provider) -> None:
    now = int(time.time())
    unsigned = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "u-agent", "iat": now, "exp": now + 60},
                          "", algorithm="none", headers={"kid": "k1"})

    assert await refused(verifier(provider), unsigned) == "invalid_token"


async def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(provider: Provider) -> None:
    public_pem = provider.keys["k1"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    forged = jwt.api_jws.PyJWS(algorithms=["HS256"])
    forged._algorithms["HS256"].prepare_key = lambda key: key  # type: ignore[method-assign]
    token = forged.encode(json.dumps({"iss": ISSUER, "aud": AUDIENCE, "sub": "u-agent", "iat": now,
                                      "exp": now + 60}).encode(), public_pem, algorithm="HS256", headers=header)

    assert await refused(verifier(provider), token) == "invalid_token"


async def test_a_rotated_key_is_fetched_when_a_token_names_it(provider: Provider) -> None:
    check = verifier(provider)
    await check.verify(provider.token("k1"))
    provider.add("k2", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    claims = await check.verify(provider.token("k2"))

    assert claims["sub"] == "u-agent"
    assert provider.fetches == 2


async def test_unknown_key_ids_do_not_make_the_gateway_fetch_more_than_once_per_cooldown(provider: Provider) -> None:
    check = verifier(provider, cooldown=300.0)
    await check.verify(provider.token("k1"))
    provider.add("k9", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    unknown = provider.token("k9")
    provider.keys.pop("k9")

    for _ in range(3):
        await refused(check, unknown)

    assert provider.fetches == 1


async def test_a_token_without_a_key_id_is_refused_even_when_a_key_has_an_empty_one(provider: Provider) -> None:
    provider.add("", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-agent", "iat": now, "exp": now + 60}
    token = jwt.encode(body, provider.keys[""], algorithm="RS256")

    assert "kid" not in jwt.get_unverified_header(token)
    assert await refused(verifier(provider), token) == "invalid_token"


async def test_keys_fetched_again_make_every_token_verified_before_be_checked_again(provider: Provider) -> None:
    check = verifier(provider)
    old = provider.token("k1")
    check.verified.keep(old, claims_of(await check.verify(old), 3600))
    provider.keys.pop("k1")  # the provider rotated: k1 signs nothing any more
    provider.add("k2", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    await check.verify(provider.token("k2"))

    assert check.verified.get(old) is None
    assert await refused(check, old) == "invalid_token"
