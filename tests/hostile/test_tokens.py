"""Forged, tampered and stale sign-ins, through the gateway's HTTP API in both of its modes: its own demo issuer
(ES256) and an identity provider's keys (RS256, JWKS). Every forgery is refused with 401 on every kind of route;
a genuine token grants only what identity says its bearer holds now, so a role removed since it was signed is
refused (403) on the very same token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.config import GatewaySettings
from tests.hostile.tally import Tally
from tests.product import Product, login, running
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

AUDIENCE, IDP = "helpdesk", "https://idp.example"
JWKS_URL = f"{IDP}/.well-known/jwks.json"
PARTNER_ADMIN, OPERATOR = "admin@northwind.example", "operator@helpdesk.local"
# One route of each kind of caller: anyone signed in, an agent, an operator, a customer admin.
ROUTES = ["/api/v1/me", "/api/v1/search?q=jane", "/api/v1/users/u-jane", "/api/v1/operator/outbox",
          "/api/v1/customer/access-grant"]
DEADLINE_SECONDS = 5.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


@dataclass
class Issuer:
    """Who signs the gateway's trusted tokens in one mode: the key, its algorithm and key id, the issuer name."""

    mode: str
    key: Any
    algorithm: str
    issuer: str
    kid: str | None

    @property
    def public_pem(self) -> bytes:
        pem: bytes = self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
        return pem

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": "u-agent", "iat": now, "exp": now + 600,
                  "email": "agent@northwind.example", "name": "Alex Agent", **changes}
        return {name: value for name, value in claims.items() if value is not None}

    def header(self, **changes: Any) -> dict[str, Any]:
        return {"alg": self.algorithm, "typ": "JWT", **({"kid": self.kid} if self.kid else {}), **changes}

    def sign(self, claims: dict[str, Any] | None = None, key: Any = None, algorithm: str | None = None,
             **header: Any) -> str:
        headers = {"kid": self.kid} if self.kid else {}
        return jwt.encode(claims or self.claims(), key or self.key, algorithm=algorithm or self.algorithm,
                          headers={**headers, **header})


def _other_key(issuer: Issuer) -> Any:
    if issuer.algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _hs256_with_the_public_key(issuer: Issuer) -> str:
    """The classic confusion: an HMAC token keyed with the trusted public key, which anyone can read."""
    signing_input = _unsigned(issuer.header(alg="HS256"), issuer.claims(roles=["operator"]))
    mac = hmac.new(issuer.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _tampered(issuer: Issuer) -> str:
    """A genuine token whose claims were changed after signing: another user, more roles."""
    header, _, signature = issuer.sign().split(".")
    claims = _b64(json.dumps(issuer.claims(sub="u-operator", roles=["operator"])).encode())
    return f"{header}.{claims}.{signature}"


def _with_its_own_key(issuer: Issuer) -> str:
    """Signed by the attacker, naming the attacker's key in the header (`jwk`, `jku`) as if it were to be trusted."""
    attacker = _other_key(issuer)
    algorithm = jwt.algorithms.RSAAlgorithm if issuer.algorithm == "RS256" else jwt.algorithms.ECAlgorithm
    return issuer.sign(key=attacker, jwk=json.loads(algorithm.to_jwk(attacker.public_key())),
                       jku="https://evil.example/jwks.json")


def _now() -> int:
    return int(time.time())


FORGERIES: dict[str, Callable[[Issuer], str]] = {
    "signed by another key": lambda i: i.sign(key=_other_key(i)),
    "its signature removed": lambda i: i.sign().rsplit(".", 1)[0] + ".",
    "its signature cut short": lambda i: i.sign()[:-10],
    "alg none": lambda i: _unsigned(i.header(alg="none"), i.claims(roles=["operator"])) + ".",
    "alg None, capitalised": lambda i: _unsigned(i.header(alg="None"), i.claims()) + ".",
    "HS256 keyed with the public key": _hs256_with_the_public_key,
    "the other asymmetric algorithm": lambda i: i.sign(
        key=ec.generate_private_key(ec.SECP256R1()) if i.algorithm == "RS256"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="ES256" if i.algorithm == "RS256" else "RS256"),
    "claims changed after signing": _tampered,
    "the attacker's key in its header": _with_its_own_key,
    "a key id of no key": lambda i: i.sign(key=_other_key(i), kid="../../../../etc/passwd"),
    "another issuer": lambda i: i.sign(i.claims(iss="https://evil.example")),
    "another audience": lambda i: i.sign(i.claims(aud="someone-else")),
    "audiences without ours": lambda i: i.sign(i.claims(aud=["a", "b"])),
    "expired": lambda i: i.sign(i.claims(iat=_now() - 700, exp=_now() - 100)),
    "expired a second ago": lambda i: i.sign(i.claims(iat=_now() - 60, exp=_now() - 1)),
    "not valid yet (nbf)": lambda i: i.sign(i.claims(nbf=_now() + 600)),
    "issued in the future": lambda i: i.sign(i.claims(iat=_now() + 600, exp=_now() + 1200)),
    "living longer than allowed": lambda i: i.sign(i.claims(exp=_now() + 13 * 3600)),
    **{f"without {claim}": (lambda c: lambda i: i.sign(i.claims(**{c: None})))(claim)
       for claim in ("exp", "iat", "sub", "iss", "aud")},
    "sub a number": lambda i: i.sign(i.claims(sub=42)),
    "sub empty": lambda i: i.sign(i.claims(sub="")),
    "roles a string": lambda i: i.sign(i.claims(roles="operator")),
    "exp a string": lambda i: i.sign(i.claims(exp=str(_now() + 600))),
    "not a token": lambda i: "not-a-token",
    "three empty parts": lambda i: "..",
    "not base64": lambda i: "@@@.###.$$$",
    "a header that is not JSON": lambda i: f"{_b64(b'{oops')}.{_b64(b'{}')}.{_b64(b'x')}",
    "100 KB of it": lambda i: _unsigned(i.header(), i.claims(padding="x" * 100_000)) + "." + "A" * 86,
}


class Provider:
    """An identity provider publishing its keys, and every address the gateway fetched."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.fetched: list[str] = []

    def jwks(self, request: httpx.Request) -> httpx.Response:
        self.fetched.append(str(request.url))
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return httpx.Response(200, json={"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})


@dataclass
class Mode:
    issuer: Issuer
    product: Product
    provider: Provider | None


@pytest.fixture(params=["demo", "external"])
async def mode(request: pytest.FixtureRequest) -> AsyncIterator[Mode]:
    if request.param == "demo":
        demo_key = ec.generate_private_key(ec.SECP256R1())
        pem = demo_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        async with running(GatewaySettings(auth_mode="demo", demo_signing_key=pem)) as product:
            yield Mode(Issuer("demo", demo_key, "ES256", "helpdesk-demo", None), product, None)
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    provider = Provider(key)
    settings = GatewaySettings(auth_mode="external", jwt_issuer=IDP, jwt_audience=AUDIENCE, jwks_url=JWKS_URL)
    async with running(settings) as product:
        verifier = product[0].app.state.verifier
        await verifier.http.aclose()
        verifier.http = httpx.AsyncClient(transport=httpx.MockTransport(provider.jwks))  # the provider's network
        yield Mode(Issuer("external", key, "RS256", IDP, "k1"), product, provider)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_forged_or_stale_token_is_refused_on_every_kind_of_route(
        mode: Mode, caplog: pytest.LogCaptureFixture, tally: Tally) -> None:
    _, client = mode.product
    genuine = await client.get("/api/v1/search?q=jane", headers=_bearer(mode.issuer.sign()))
    assert genuine.status_code == 200, genuine.text

    for name, forge in FORGERIES.items():
        token = forge(mode.issuer)
        for route in ROUTES:
            answer = await client.get(route, headers=_bearer(token))
            tally.add(name)

            assert answer.status_code == 401, (name, route, answer.text)
            error = answer.json()["error"]
            assert error["code"] in ("invalid_token", "token_expired"), (name, error)
            assert "sign in again" in error["message"], (name, error)
            assert token not in answer.text
    expired = await client.get("/api/v1/me", headers=_bearer(FORGERIES["expired"](mode.issuer)))
    assert expired.json()["error"]["code"] == "token_expired"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    if mode.provider is not None:  # keys are fetched from where the gateway is told, never where a token says
        assert set(mode.provider.fetched) == {JWKS_URL}


async def test_a_genuine_token_grants_only_what_identity_gives_its_bearer(mode: Mode, tally: Tally) -> None:
    _, client = mode.product
    issuer = mode.issuer
    claiming_more = issuer.sign(issuer.claims(roles=["operator", "partner_admin"], partner_id="p-contoso",
                                              org_id="p-contoso"))
    of_nobody = issuer.sign(issuer.claims(sub="u-ghost", roles=["helpdesk", "operator"], partner_id="p-northwind"))

    me = await client.get("/api/v1/me", headers=_bearer(claiming_more))
    searched = await client.get("/api/v1/search?q=hank", headers=_bearer(claiming_more))
    outbox = await client.get("/api/v1/operator/outbox", headers=_bearer(claiming_more))
    ghost = [await client.get(route, headers=_bearer(of_nobody)) for route in ROUTES[1:]]
    tally.add("tokens claiming more", 3)
    tally.add("tokens of nobody", len(ghost))

    assert (me.json()["roles"], me.json()["partner_id"]) == (["helpdesk"], "p-northwind")
    assert (searched.status_code, searched.json()["users"]) == (200, [])  # Hank is Contoso's
    assert outbox.status_code == 403
    assert [answer.status_code for answer in ghost] == [403] * len(ghost)


async def test_a_role_removed_since_the_token_was_signed_is_refused_on_that_very_token(
        mode: Mode, tally: Tally) -> None:
    _, client = mode.product
    agent = _bearer(mode.issuer.sign())
    partner_admin = await _sign_in(mode, PARTNER_ADMIN, "u-padmin")
    before = await client.get("/api/v1/users/u-jane", headers=agent)

    removed = await client.delete("/api/v1/partner/helpdesk-agents/u-agent", headers=partner_admin)
    await eventually(lambda: _answers(client, agent, 403), timeout=DEADLINE_SECONDS, interval=0.02)
    after = [await client.get(route, headers=agent) for route in ROUTES[1:3]]
    given_back = await client.put("/api/v1/partner/helpdesk-agents/u-agent", json={"level": "basic"},
                                  headers=partner_admin)
    await eventually(lambda: _answers(client, agent, 200), timeout=DEADLINE_SECONDS, interval=0.02)
    tally.add("tokens after a change of rights", 2 + len(after))

    assert before.status_code == 200
    assert (removed.status_code, given_back.status_code) == (204, 200)
    assert [answer.status_code for answer in after] == [403, 403]
    assert after[0].json()["error"]["code"] == "forbidden"


async def _answers(client: httpx.AsyncClient, headers: dict[str, str], status: int) -> bool:
    return (await client.get("/api/v1/users/u-jane", headers=headers)).status_code == status


async def _sign_in(mode: Mode, email: str, user_id: str) -> dict[str, str]:
    """A sign-in for one of the demo's people: the demo login, or a token from the identity provider."""
    if mode.issuer.mode == "demo":
        return await login(mode.product[1], email)
    return _bearer(mode.issuer.sign(mode.issuer.claims(sub=user_id, email=email)))
