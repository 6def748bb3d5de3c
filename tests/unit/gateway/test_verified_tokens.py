"""Verified tokens are kept until they expire, never longer, and never instead of the rights identity gives now."""

from __future__ import annotations

import asyncio
import json

import pytest

from gateway.auth import Claims, VerifiedTokens
from gateway.config import GatewaySettings
from services.identity.demo import DEMO_LOGINS
from tests.product import login, running

pytestmark = pytest.mark.unit


def claims(exp: float) -> Claims:
    return Claims(sub="u-agent", iat=exp - 60, exp=exp)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_is_kept_until_it_expires_and_then_forgotten() -> None:
    clock = Clock(1000.0)
    tokens = VerifiedTokens(clock=clock)
    tokens.keep("t", claims(exp=1060.0))

    kept = tokens.get("t")
    clock.now = 1060.0
    expired = tokens.get("t")
    clock.now = 1000.0  # even were the clock to go back, an expired token is verified again

    assert kept == claims(exp=1060.0)
    assert expired is None
    assert tokens.get("t") is None


def test_past_its_size_the_token_kept_longest_ago_is_forgotten_first() -> None:
    tokens = VerifiedTokens(size=2, clock=Clock(0.0))
    for token in ("a", "b", "c"):
        tokens.keep(token, claims(exp=60.0))

    assert [tokens.get(token) is not None for token in ("a", "b", "c")] == [False, True, True]


def test_forget_drops_every_token() -> None:
    tokens = VerifiedTokens(clock=Clock(0.0))
    tokens.keep("a", claims(exp=60.0))

    tokens.forget()

    assert tokens.get("a") is None


async def test_a_sign_in_is_verified_once_until_it_expires_then_refused_as_expired() -> None:
    async with running(GatewaySettings(auth_mode="demo", token_ttl_seconds=2)) as (product, client):
        agent = await login(client, DEMO_LOGINS["helpdesk"])
        verifier = product.app.state.verifier
        token = agent["Authorization"].removeprefix("Bearer ")
        verified = 0
        verify = verifier.verify

        async def counted(given: str) -> dict[str, object]:
            nonlocal verified
            verified += 1
            return await verify(given)

        verifier.verify = counted
        served = [(await client.get("/api/v1/me", headers=agent)).status_code for _ in range(3)]
        kept = verifier.verified.get(token)
        assert kept is not None
        await asyncio.sleep(max(0.0, kept.exp - verifier.verified.clock()) + 0.05)
        expired = await client.get("/api/v1/me", headers=agent)

    assert served == [200, 200, 200]
    assert (expired.status_code, expired.json()["error"]["code"]) == (401, "token_expired")
    assert verified == 2  # the first request, and the one after it expired


async def test_a_kept_sign_in_holds_only_the_roles_identity_gives_now() -> None:
    async with running() as (product, client):
        agent = await login(client, DEMO_LOGINS["helpdesk"])
        before = await client.get("/api/v1/search", params={"q": "jane"}, headers=agent)
        operator = await login(client, DEMO_LOGINS["operator"])
        record = {"type": "user", "id": "u-agent", "org_id": "p-northwind", "email": DEMO_LOGINS["helpdesk"],
                  "first_name": "Alex", "last_name": "Agent", "roles": []}
        imported = await client.post("/api/v1/operator/import", content=json.dumps(record) + "\n", headers=operator)
        await product.settle()
        after = await client.get("/api/v1/search", params={"q": "jane"}, headers=agent)

    assert imported.json()["accepted"] == 1
    assert (before.status_code, after.status_code) == (200, 403)
