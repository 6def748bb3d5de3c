"""An agent mails a user a verification code and checks what the caller reads back, through the public API of
the embedded product; the code itself is nowhere but in the mail."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from contracts.gateway import AgentActionRecorded
from runtime import logs
from tests.product import Product, login, running
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

AGENT, CONTOSO_AGENT, OPERATOR = "agent@northwind.example", "agent@contoso.example", "operator@helpdesk.local"
CODES = "/api/v1/users/u-jane/verification-codes"


@pytest.fixture
async def product() -> AsyncIterator[Product]:
    async with running() as started:
        yield started


async def sent_code(product: Product, code_id: str) -> str:
    """The code as the user reads it in their mail (the embedded mode keeps the mail it sends)."""
    embedded, client = product
    await embedded.settle()
    operator = await login(client, OPERATOR)

    async def mailed() -> list[dict[str, str]]:
        mails: list[dict[str, str]] = (await client.get("/api/v1/operator/outbox", params={
            "to": "jane.doe@acme.example"}, headers=operator)).json()
        return mails

    mails = await eventually(mailed, timeout=10)
    found = re.search(r"\b(\d{6})\b", mails[0]["text"])
    assert found is not None, mails[0]["text"]
    return found.group(1)


async def test_a_code_is_mailed_to_the_user_and_the_right_one_read_back_verifies_once(product: Product) -> None:
    _, client = product
    agent = await login(client, AGENT)

    sent = await client.post(CODES, headers=agent)
    code = await sent_code(product, sent.json()["code_id"])
    check = f"{CODES}/{sent.json()['code_id']}/check"
    wrong = await client.post(check, json={"code": "000000" if code != "000000" else "111111"}, headers=agent)
    right = await client.post(check, json={"code": code}, headers=agent)
    again = await client.post(check, json={"code": code}, headers=agent)

    assert sent.status_code == 202
    assert sent.json()["sent_to"] == "j***@acme.example"
    assert (wrong.status_code, wrong.json()["error"]["code"], wrong.json()["error"]["attempts_left"]) == (
        422, "code_mismatch", 4)
    assert (right.status_code, right.json()) == (200, {"verified": True})
    assert (again.status_code, again.json()["error"]["code"]) == (410, "code_used")


async def test_the_fifth_wrong_code_locks_the_user_out(product: Product) -> None:
    _, client = product
    agent = await login(client, AGENT)
    sent = (await client.post(CODES, headers=agent)).json()
    code = await sent_code(product, sent["code_id"])
    wrong = "000000" if code != "000000" else "111111"

    answers = [await client.post(f"{CODES}/{sent['code_id']}/check", json={"code": wrong}, headers=agent)
               for _ in range(5)]
    right = await client.post(f"{CODES}/{sent['code_id']}/check", json={"code": code}, headers=agent)

    assert [a.status_code for a in answers] == [422, 422, 422, 422, 423]
    assert [a.json()["error"].get("attempts_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert (right.status_code, right.json()["error"]["code"]) == (423, "code_locked")


async def test_a_fourth_code_within_fifteen_minutes_is_refused_with_when_to_try_again(product: Product) -> None:
    _, client = product
    agent = await login(client, AGENT)

    answers = [await client.post(CODES, headers=agent) for _ in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[3].json()["error"]["code"] == "too_many_codes"
    assert 0 < int(answers[3].headers["Retry-After"]) <= 15 * 60


async def test_another_partners_user_answers_like_an_unknown_one(product: Product) -> None:
    _, client = product
    contoso = await login(client, CONTOSO_AGENT)

    foreign = await client.post(CODES, headers=contoso)
    unknown = await client.post("/api/v1/users/u-nobody/verification-codes", headers=contoso)

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()


async def test_every_send_and_check_is_audited_naming_agent_user_and_customer(product: Product) -> None:
    embedded, client = product
    agent = await login(client, AGENT)
    sent = (await client.post(CODES, headers=agent)).json()
    code = await sent_code(product, sent["code_id"])
    await client.post(f"{CODES}/{sent['code_id']}/check", json={"code": "x"}, headers=agent)
    await client.post(f"{CODES}/{sent['code_id']}/check", json={"code": code}, headers=agent)
    await embedded.settle()

    audit = [(e.action, e.agent_id, e.target_id, e.org_id) for e in embedded.bus.published([AgentActionRecorded.TOPIC])
             if isinstance(e, AgentActionRecorded) and e.action.startswith("user.code")]

    assert audit == [("user.code_sent", "u-agent", "u-jane", "o-acme"),
                     ("user.code_rejected", "u-agent", "u-jane", "o-acme"),
                     ("user.code_verified", "u-agent", "u-jane", "o-acme")]


async def test_the_code_appears_in_no_log_line_event_answer_audit_entry_or_stored_document() -> None:
    stream, root = io.StringIO(), logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("embedded", "DEBUG", stream)
    answers: list[str] = []
    try:
        async with running() as product:
            embedded, client = product

            async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
                response = await client.request(method, path, **kwargs)
                answers.append(json.dumps(dict(response.headers)) + response.text)
                return response

            agent = await login(client, AGENT)
            sent = (await call("POST", CODES, headers=agent)).json()
            code = await sent_code(product, sent["code_id"])
            check = f"{CODES}/{sent['code_id']}/check"
            for attempt in ("000000", "111111", code, code):
                await call("POST", check, json={"code": attempt}, headers=agent)
            await call("GET", "/api/v1/users/u-jane", headers=agent)
            await call("GET", "/api/v1/users/u-jane/email", headers=agent)
            await embedded.settle()
            events = [e.model_dump_json() for e in embedded.bus.published()]
            stored = [repr(await documents.find({}, limit=10_000)) for service in embedded.services.values()
                      for documents in _documents_of(service)]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])

    assert code not in stream.getvalue()
    assert not [e for e in events if code in e]
    assert not [a for a in answers if code in a]
    assert not [s for s in stored if code in s]
    assert stored, "the stores were not searched"


def _documents_of(service: Any) -> list[Any]:
    relay = service.relay
    return list(relay.collections) if relay is not None else []
