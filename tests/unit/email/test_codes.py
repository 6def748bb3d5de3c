"""Verification codes with a controllable clock: right, wrong, locked, expired, used once, and the sending limits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.email import CodeSent
from contracts.gateway import CodeRequested
from runtime.bus import InProcessBus
from runtime.documents import Documents, MemoryDocuments
from runtime.service import Infrastructure
from services.email import app, codes, verification
from services.email.codes import Limit
from services.email.config import EmailSettings
from services.email.store import CodeStore, TallyStore
from services.email.verification import CodeRequest, CodeRules
from tests.waiting import eventually

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RULES = CodeRules(secret=b"k" * 32, digits=6, per_user=Limit(count=3, window=timedelta(minutes=15)),
                  per_agent=Limit(count=30, window=timedelta(hours=1)))
JANE = CodeRequest(user_id="u-jane", org_id="o-acme", partner_id="p-northwind", agent_id="u-agent",
                   address="jane.doe@acme.example", name="Jane Doe", locale="en")


class Codes:
    """The email service's code stores, with codes issued as the CodeRequested handler issues them."""

    def __init__(self) -> None:
        self.store, self.tallies = CodeStore.memory(), TallyStore.memory()

    async def issued(self, code: str, at: datetime = T0, request: CodeRequest = JANE) -> str:
        reserved = await verification.reserve_code(request, self.store, self.tallies, RULES, now=at)
        digest = codes.digest_of(RULES.secret, reserved.code_id, code)
        await self.store.change(reserved.code_id, lambda c: (c.model_copy(update={"digest": digest}), []) if c
                                else None)
        return reserved.code_id

    async def check(self, code_id: str, code: str, at: datetime, user_id: str = "u-jane") -> None:
        await verification.check_code(code_id, user_id, code, self.store, self.tallies, RULES, now=at)


class TestChecking:
    async def test_the_right_code_is_verified_once(self) -> None:
        jane = Codes()
        code_id = await jane.issued("123456")

        await jane.check(code_id, "123 456", T0 + timedelta(minutes=1))
        with pytest.raises(codes.CodeUsed):
            await jane.check(code_id, "123456", T0 + timedelta(minutes=2))

        record = await jane.store.get(code_id)
        assert record is not None
        assert record.verified_at == T0 + timedelta(minutes=1)

    async def test_a_wrong_code_says_how_many_tries_are_left(self) -> None:
        jane = Codes()
        code_id = await jane.issued("123456")

        with pytest.raises(codes.CodeMismatch) as first:
            await jane.check(code_id, "000000", T0)
        with pytest.raises(codes.CodeMismatch) as second:
            await jane.check(code_id, "111111", T0)

        assert (first.value.attempts_left, second.value.attempts_left) == (4, 3)

    async def test_the_fifth_wrong_try_locks_the_code_even_against_the_right_one(self) -> None:
        jane = Codes()
        code_id = await jane.issued("123456")
        for _ in range(4):
            with pytest.raises(codes.CodeMismatch):
                await jane.check(code_id, "000000", T0)

        with pytest.raises(codes.CodeLocked):
            await jane.check(code_id, "000000", T0)
        with pytest.raises(codes.CodeLocked):
            await jane.check(code_id, "123456", T0)

    async def test_a_code_expires_after_ten_minutes(self) -> None:
        jane = Codes()
        code_id = await jane.issued("123456")

        with pytest.raises(codes.CodeExpired):
            await jane.check(code_id, "123456", T0 + timedelta(minutes=10))

    async def test_a_new_code_does_not_reset_the_users_wrong_tries(self) -> None:
        jane = Codes()
        first = await jane.issued("123456")
        for _ in range(3):
            with pytest.raises(codes.CodeMismatch):
                await jane.check(first, "000000", T0)
        second = await jane.issued("654321", T0 + timedelta(minutes=1))

        with pytest.raises(codes.CodeMismatch) as on_the_new_code:
            await jane.check(second, "000000", T0 + timedelta(minutes=1))
        with pytest.raises(codes.CodeLocked):
            await jane.check(second, "111111", T0 + timedelta(minutes=1))
        with pytest.raises(codes.CodeLocked):
            await jane.check(second, "654321", T0 + timedelta(minutes=2))

        assert on_the_new_code.value.attempts_left == 1

    async def test_wrong_tries_stop_counting_after_fifteen_minutes(self) -> None:
        jane = Codes()
        first = await jane.issued("123456")
        for _ in range(5):
            with pytest.raises((codes.CodeMismatch, codes.CodeLocked)):
                await jane.check(first, "000000", T0)
        later = T0 + timedelta(minutes=16)
        second = await jane.issued("654321", later)

        await jane.check(second, "654321", later)

    async def test_another_users_code_is_not_found(self) -> None:
        jane = Codes()
        code_id = await jane.issued("123456")

        with pytest.raises(codes.CodeNotFound):
            await jane.check(code_id, "123456", T0, user_id="u-hank")

    async def test_only_a_keyed_hash_of_the_code_is_kept(self) -> None:
        jane = Codes()
        code_id = await jane.issued("987654")

        document = await jane.store.documents.get(code_id)

        assert "987654" not in repr(document)
        assert document is not None
        assert document["digest"] == codes.digest_of(RULES.secret, code_id, "987654")
        assert document["digest"] != codes.digest_of(b"another secret", code_id, "987654")


class TestLimits:
    async def test_a_fourth_code_for_a_user_within_fifteen_minutes_is_refused_with_when_to_try_again(self) -> None:
        jane = Codes()
        for minute in range(3):
            await jane.issued("123456", T0 + timedelta(minutes=minute))

        with pytest.raises(codes.TooManyCodes) as refused:
            await jane.issued("123456", T0 + timedelta(minutes=5))
        await jane.issued("123456", T0 + timedelta(minutes=15, seconds=1))

        assert (refused.value.who, refused.value.retry_after) == ("user", 600)

    async def test_an_agent_past_its_hourly_limit_is_refused_whoever_the_user(self) -> None:
        agent = Codes()
        for n in range(30):
            await agent.issued("123456", T0, JANE.model_copy(update={"user_id": f"u-{n}"}))

        with pytest.raises(codes.TooManyCodes) as refused:
            await agent.issued("123456", T0 + timedelta(minutes=59), JANE.model_copy(update={"user_id": "u-30"}))

        assert (refused.value.who, refused.value.retry_after) == ("agent", 60)

    async def test_a_refusal_for_the_agent_spends_nothing_of_the_users_limit(self) -> None:
        agent = Codes()
        for n in range(30):
            await agent.issued("123456", T0, JANE.model_copy(update={"user_id": f"u-{n}"}))
        for _ in range(3):
            with pytest.raises(codes.TooManyCodes):
                await agent.issued("123456", T0, JANE.model_copy(update={"user_id": "u-new"}))

        tally = await agent.tallies.get("user:u-new")

        assert tally is None


def test_an_address_is_masked_to_its_first_letter_and_domain() -> None:
    assert codes.masked("jane.doe@acme.example") == "j***@acme.example"


def test_codes_are_made_of_as_many_digits_as_asked() -> None:
    made = {codes.new_code(6) for _ in range(200)}

    assert all(len(code) == 6 and code.isdigit() for code in made)
    assert len(made) > 190


@dataclass(frozen=True)
class SharedDocuments(Infrastructure):
    """What two replicas of the email service share: one store (here one set of in-memory documents)."""

    kept: dict[str, Documents] = field(default_factory=dict)

    def documents(self, collection: str, indexes: Sequence[str] = ()) -> Documents:
        return self.kept.setdefault(collection, MemoryDocuments(collection, indexes))


def replica(infrastructure: Infrastructure) -> httpx.AsyncClient:
    service = app.build(EmailSettings(storage="memory", mailer="memory"), infrastructure)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=service.api), base_url="http://email")


RESERVATION = JANE.model_dump()


async def test_the_limits_hold_across_two_replicas_of_the_service() -> None:
    shared = SharedDocuments(InProcessBus())
    first, second = replica(shared), replica(shared)

    answers = [await client.post("/internal/verification-codes", json=RESERVATION)
               for client in (first, second, first, second)]
    agent = [await client.post("/internal/verification-codes", json={**RESERVATION, "user_id": f"u-{n}"})
             for n, client in enumerate([first, second] * 13 + [first])]  # 30 with Jane's 3
    over = await second.post("/internal/verification-codes", json={**RESERVATION, "user_id": "u-99"})

    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[3].json()["error"]["code"] == "too_many_codes"
    assert 0 < int(answers[3].headers["Retry-After"]) <= 900
    assert {a.status_code for a in agent} == {201}
    assert (over.status_code, over.json()["error"]["message"]) == (
        429, "Too many codes for this agent for now. Try again in 60 minutes.")


async def test_a_code_request_delivered_twice_mails_one_code() -> None:
    bus = InProcessBus()
    service = app.build(EmailSettings(storage="memory", mailer="memory"), Infrastructure(bus))
    service.attach(bus)
    await bus.start()
    await service.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.api), base_url="http://e") as client:
            reserved = (await client.post("/internal/verification-codes", json=RESERVATION)).json()
            request = CodeRequested(code_id=reserved["code_id"], user_id="u-jane", org_id="o-acme",
                                    agent_id="u-agent", partner_id="p-northwind")
            await bus.publish(request)
            await bus.publish(request)
            await bus.drain()

            async def mailed() -> list[dict[str, str]]:
                found: list[dict[str, str]] = (await client.get("/internal/outbox")).json()
                return found

            mails = await eventually(mailed, timeout=10)
            await bus.drain()
            await asyncio.sleep(0.2)  # a second mail, were one queued, would be sent by now
            mails = await mailed()
    finally:
        await service.stop()
        await bus.stop()

    sent = [e for e in bus.published() if isinstance(e, CodeSent)]
    assert len(mails) == 1
    assert mails[0]["to"] == "jane.doe@acme.example"
    assert [(e.code_id, e.sent_to) for e in sent] == [(reserved["code_id"], "j***@acme.example")]
