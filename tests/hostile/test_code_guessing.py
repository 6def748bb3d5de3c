"""Guessing a user's verification code through the public API: five wrong tries for a user, across all their codes
and whoever types them, lock that user out (423), even against the right code, concurrent guesses included; sending
is limited per user (3 in 15 minutes) and per agent (30 an hour), each refusal a 429 saying when to try again."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter

import httpx
import pytest

from tests.hostile.tally import Tally
from tests.product import Product, login
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

AGENT, ADVANCED, OPERATOR = "agent@northwind.example", "advanced@northwind.example", "operator@helpdesk.local"
WRONG_TRIES = 5


def codes_of(user_id: str) -> str:
    return f"/api/v1/users/{user_id}/verification-codes"


async def send(client: httpx.AsyncClient, user_id: str, agent: dict[str, str]) -> str:
    sent = await client.post(codes_of(user_id), headers=agent)
    assert sent.status_code == 202, sent.text
    return str(sent.json()["code_id"])


async def mailed_code(product: Product, address: str, nth: int = 1) -> str:
    """The code in the nth mail the user received (the embedded mode keeps the mail it sends)."""
    embedded, client = product
    await embedded.settle()
    operator = await login(client, OPERATOR)

    async def mails() -> list[dict[str, str]] | None:
        found: list[dict[str, str]] = (await client.get("/api/v1/operator/outbox", params={"to": address},
                                                        headers=operator)).json()
        return found if len(found) >= nth else None

    newest_first = await eventually(mails, timeout=10, interval=0.02)
    assert newest_first is not None
    found = re.search(r"\b(\d{6})\b", newest_first[-nth]["text"])
    assert found is not None
    return found.group(1)


def wrong(code: str, n: int = 0) -> str:
    guess = f"{(int(code) + 1 + n) % 1_000_000:06d}"
    assert guess != code
    return guess


async def check(client: httpx.AsyncClient, user_id: str, code_id: str, code: str, agent: dict[str, str]
                ) -> httpx.Response:
    return await client.post(f"{codes_of(user_id)}/{code_id}/check", json={"code": code}, headers=agent)


async def test_the_fifth_wrong_try_across_codes_and_agents_locks_the_user_even_against_the_right_code(
        product: Product, tally: Tally) -> None:
    _, client = product
    agent, advanced = await login(client, AGENT), await login(client, ADVANCED)
    first = await send(client, "u-jane", agent)
    first_code = await mailed_code(product, "jane.doe@acme.example", 1)
    second = await send(client, "u-jane", advanced)
    second_code = await mailed_code(product, "jane.doe@acme.example", 2)

    tries = [await check(client, "u-jane", first, wrong(first_code, 0), agent),
             await check(client, "u-jane", first, wrong(first_code, 1), agent),
             await check(client, "u-jane", second, wrong(second_code, 0), advanced),
             await check(client, "u-jane", second, f"{wrong(second_code, 1)[:3]} {wrong(second_code, 1)[3:]}", agent),
             await check(client, "u-jane", first, wrong(first_code, 2), advanced)]
    right = [await check(client, "u-jane", second, second_code, agent),
             await check(client, "u-jane", first, first_code, advanced)]
    third = await send(client, "u-jane", agent)
    right.append(await check(client, "u-jane", third, await mailed_code(product, "jane.doe@acme.example", 3), agent))
    carlas = await send(client, "u-cadmin", agent)
    carla = await check(client, "u-cadmin", carlas, await mailed_code(product, "it@acme.example"), agent)
    tally.add("checks", len(tries) + len(right) + 1)

    assert [t.status_code for t in tries] == [422, 422, 422, 422, 423]
    assert [t.json()["error"].get("attempts_left") for t in tries[:4]] == [4, 3, 2, 1]
    assert [(r.status_code, r.json()["error"]["code"]) for r in right] == [(423, "code_locked")] * 3
    assert "15 minutes" in right[0].json()["error"]["message"]
    assert (carla.status_code, carla.json()) == (200, {"verified": True})  # the lock is Jane's alone


async def test_hundreds_of_concurrent_guesses_get_four_answers_and_never_a_verification(
        product: Product, tally: Tally) -> None:
    _, client = product
    agent = await login(client, AGENT)
    code_id = await send(client, "u-jane", agent)
    code = await mailed_code(product, "jane.doe@acme.example")
    guesses = [wrong(code, n) for n in range(299)]
    guesses.insert(150, code)  # the right one, after the fifth wrong: it is refused too

    answers = await asyncio.gather(*(check(client, "u-jane", code_id, guess, agent) for guess in guesses))
    tally.add("guesses", len(guesses))

    statuses = Counter((a.status_code, a.json()["error"]["code"]) for a in answers)
    assert statuses == {(422, "code_mismatch"): WRONG_TRIES - 1, (423, "code_locked"): len(guesses) - WRONG_TRIES + 1}
    assert answers[150].status_code == 423


async def test_a_fourth_code_for_a_user_within_15_minutes_is_refused_with_when_to_try_again(
        product: Product, tally: Tally) -> None:
    _, client = product
    agent, advanced = await login(client, AGENT), await login(client, ADVANCED)

    answers = [await client.post(codes_of("u-rene"), headers=agent) for _ in range(3)]
    answers += [await client.post(codes_of("u-rene"), headers=who) for who in (agent, advanced)]
    tally.add("sends", len(answers))

    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    for refused in answers[3:]:
        assert refused.json()["error"]["code"] == "too_many_codes"
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
        assert "Try again in" in refused.json()["error"]["message"]


async def test_an_agent_past_30_codes_an_hour_is_refused_whoever_the_user(product: Product, tally: Tally) -> None:
    embedded, client = product
    users = [{"type": "user", "id": f"u-many-{n}", "org_id": "o-acme", "email": f"many{n}@acme.example",
              "first_name": "Many", "last_name": str(n)} for n in range(11)]
    imported = await client.post("/api/v1/operator/import", content="".join(json.dumps(u) + "\n" for u in users),
                                 headers=await login(client, OPERATOR))
    assert imported.json()["accepted"] == len(users)
    await embedded.settle()
    agent = await login(client, AGENT)

    sent = [await client.post(codes_of(f"u-many-{n}"), headers=agent) for n in range(10) for _ in range(3)]
    refused = await client.post(codes_of("u-many-10"), headers=agent)
    by_another = await client.post(codes_of("u-many-10"), headers=await login(client, ADVANCED))
    tally.add("sends", len(sent) + 2)

    assert [s.status_code for s in sent] == [202] * 30
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "too_many_codes")
    assert "agent" in refused.json()["error"]["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert by_another.status_code == 202  # the limit is the agent's, and spent nothing of the user's
