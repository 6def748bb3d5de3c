"""The sender: a due message is claimed, checked against the suppression list, sent, and what became of it is
recorded; a failure that may pass is tried again later, a refusal is final, and two senders never send one message
twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from runtime import retry
from services.email.domain import DeliveryReport
from services.email.handlers import record_reports
from services.email.mailers import SendingFailed
from services.email.outgoing import ClaimStore, OutgoingMessage, OutgoingStore, Seal, SendingClaim, queue_mail
from services.email.store import AddressStore
from tests.mail import LEASE, SEAL, Clock, ScriptedMailer, a_mail, a_sender
from tests.waiting import eventually

pytestmark = pytest.mark.unit

REFUSED = "no answer from 127.0.0.1:1: Error connecting to 127.0.0.1 on port 1: [Errno 111] Connection refused"


@pytest.fixture
def outgoing() -> OutgoingStore:
    return OutgoingStore.memory()


async def stored(outgoing: OutgoingStore, message_id: str) -> OutgoingMessage:
    message = await outgoing.get(message_id)
    assert message is not None
    return message


class TestSending:
    async def test_a_sent_message_keeps_the_servers_reply(self, outgoing: OutgoingStore) -> None:
        mail, clock = a_mail(), Clock()
        await queue_mail(mail, outgoing, SEAL)

        tried = await a_sender(outgoing, ScriptedMailer("250 2.0.0 Ok: queued as 4F2A"), clock).run_once()

        message = await stored(outgoing, mail.id)
        assert tried == 1
        assert (message.status, message.reason, message.at, message.attempts) == (
            "sent", "250 2.0.0 Ok: queued as 4F2A", clock.at, 1)

    async def test_a_running_sender_sends_a_mail_as_soon_as_it_is_queued(self, outgoing: OutgoingStore) -> None:
        mailer = ScriptedMailer()
        sender = a_sender(outgoing, mailer, Clock())
        sender.interval = 3600  # no polling: only the wake-up can send it in time
        outgoing.when_queued(sender.kick)
        await sender.start()
        try:
            await asyncio.sleep(0)  # the sender has looked once and waits
            await queue_mail(a_mail(), outgoing, SEAL)

            await eventually(lambda: _given(mailer), timeout=5, interval=0.01)
        finally:
            await sender.stop()


async def _given(mailer: ScriptedMailer) -> bool:
    return bool(mailer.given)


class TestRetries:
    async def test_a_failure_that_may_pass_defers_the_message_until_its_next_try(self, outgoing: OutgoingStore) -> None:
        mail, clock = a_mail(), Clock()
        mailer = ScriptedMailer(SendingFailed(REFUSED, may_pass=True), "250 OK")
        sender = a_sender(outgoing, mailer, clock)
        await queue_mail(mail, outgoing, SEAL)
        first_try = clock.at

        await sender.run_once()
        deferred = await stored(outgoing, mail.id)
        clock.advance(timedelta(seconds=29))
        too_early = await sender.run_once()
        clock.advance(timedelta(seconds=1))
        await sender.run_once()

        assert (deferred.status, deferred.reason, deferred.due_at) == (
            "deferred", REFUSED, first_try + timedelta(seconds=30))
        assert deferred.sealed_body is not None  # kept for the next try
        assert too_early == 0
        assert (await stored(outgoing, mail.id)).status == "sent"
        assert len(mailer.given) == 2

    async def test_each_next_try_waits_longer_and_the_last_failure_is_final(self, outgoing: OutgoingStore) -> None:
        mail, clock = a_mail(), Clock()
        busy = SendingFailed("421 4.7.0 Try again later", may_pass=True)
        sender = a_sender(outgoing, ScriptedMailer(busy, busy, busy), clock)
        await queue_mail(mail, outgoing, SEAL)
        waits = []

        for _ in range(3):
            await sender.run_once()
            message = await stored(outgoing, mail.id)
            if message.due_at is not None:
                waits.append(message.due_at - clock.at)
                clock.at = message.due_at

        assert waits == [timedelta(seconds=30), timedelta(seconds=60)]
        assert (message.status, message.reason, message.sealed_body, message.waiting) == (
            "failed", "421 4.7.0 Try again later (gave up after 3 tries)", None, False)

    async def test_a_refusal_for_good_fails_the_message_at_once(self, outgoing: OutgoingStore) -> None:
        mail = a_mail()
        refused = SendingFailed("550 5.1.1 The mailbox does not exist", may_pass=False)
        await queue_mail(mail, outgoing, SEAL)

        await a_sender(outgoing, ScriptedMailer(refused), Clock()).run_once()

        message = await stored(outgoing, mail.id)
        assert (message.status, message.reason, message.sealed_body) == (
            "failed", "550 5.1.1 The mailbox does not exist", None)

    async def test_a_body_this_process_cannot_open_is_left_for_a_replica_that_can(
            self, outgoing: OutgoingStore) -> None:
        mail, mailer = a_mail(), ScriptedMailer()
        await queue_mail(mail, outgoing, Seal.from_secret(b"the other replica's secret"))

        await a_sender(outgoing, mailer, Clock()).run_once()

        message = await stored(outgoing, mail.id)
        assert (message.status, mailer.given) == ("deferred", [])
        assert message.reason == "the mail's body was sealed with another secret, or altered"


    async def test_an_unforeseen_error_is_tried_again_without_quoting_it(self, outgoing: OutgoingStore) -> None:
        mail = a_mail()
        await queue_mail(mail, outgoing, SEAL)

        await a_sender(outgoing, ScriptedMailer(ValueError("a header quoting Your code is 731904")), Clock()).run_once()

        message = await stored(outgoing, mail.id)
        assert (message.status, message.reason, message.claim) == ("deferred", "could not send: ValueError", None)


class TestSuppression:
    async def test_mail_to_a_suppressed_address_is_not_sent(self, outgoing: OutgoingStore) -> None:
        addresses, mailer = AddressStore.memory(), ScriptedMailer()
        await record_reports([DeliveryReport(address="rene@bistro.example", status="bounced", reason="550 5.1.1")],
                             addresses)
        mail = a_mail(to="Rene@Bistro.example")
        await queue_mail(mail, outgoing, SEAL)

        await a_sender(outgoing, mailer, Clock(), addresses).run_once()

        message = await stored(outgoing, mail.id)
        assert mailer.given == []
        assert (message.status, message.sealed_body) == ("suppressed", None)
        assert message.reason == "not sent: the address is on the suppression list (550 5.1.1)"


class TestTwoSenders:
    async def test_two_senders_at_once_send_each_message_once(self, outgoing: OutgoingStore) -> None:
        mails = [a_mail() for _ in range(5)]
        for mail in mails:
            await queue_mail(mail, outgoing, SEAL)
        one, other = ScriptedMailer(pause=0.01), ScriptedMailer(pause=0.01)

        await asyncio.gather(a_sender(outgoing, one, Clock()).run_once(), a_sender(outgoing, other, Clock()).run_once())

        assert sorted(m.id for m in one.given + other.given) == sorted(m.id for m in mails)
        assert {(await stored(outgoing, m.id)).status for m in mails} == {"sent"}

    async def test_a_claim_is_taken_over_only_once_its_lease_is_over(self, outgoing: OutgoingStore) -> None:
        mail, clock = a_mail(), Clock()
        await queue_mail(mail, outgoing, SEAL)
        await outgoing.change(mail.id, lambda current: (
            current.model_copy(update={"claim": "crashed", "claimed_at": clock.at, "attempts": 1}), ())
            if current else None)  # as a sender leaves it when it dies mid-send
        mailer = ScriptedMailer()
        survivor = a_sender(outgoing, mailer, clock)

        clock.advance(LEASE - timedelta(seconds=1))
        while_held = await survivor.run_once()
        clock.advance(timedelta(seconds=1))
        taken_over = await survivor.run_once()

        message = await stored(outgoing, mail.id)
        assert (while_held, taken_over, len(mailer.given)) == (0, 1, 1)
        assert (message.status, message.attempts) == ("sent", 2)

    async def test_a_claim_whose_sender_died_before_marking_the_message_is_taken_over_after_its_lease(
            self, outgoing: OutgoingStore) -> None:
        mail, clock, claims, mailer = a_mail(), Clock(), ClaimStore.memory(), ScriptedMailer()
        await queue_mail(mail, outgoing, SEAL)
        await claims.change(f"{mail.id}@1", lambda _: (SendingClaim(message_id=mail.id, token="died", at=clock.at), ()))
        survivor = a_sender(outgoing, mailer, clock, claims=claims)

        while_held = await survivor.run_once()
        clock.advance(LEASE)
        moved_on = await survivor.run_once()
        taken_over = await survivor.run_once()

        assert (while_held, moved_on, taken_over, len(mailer.given)) == (0, 0, 1, 1)
        assert (await stored(outgoing, mail.id)).status == "sent"

    async def test_a_sender_whose_claim_was_taken_over_records_nothing(self, outgoing: OutgoingStore) -> None:
        mail, clock = a_mail(), Clock()
        await queue_mail(mail, outgoing, SEAL)
        slow = a_sender(outgoing, ScriptedMailer(pause=0.05), clock)
        other_mailer = ScriptedMailer("250 sent by the other")

        sending = asyncio.create_task(slow.run_once())
        await asyncio.sleep(0.01)  # the slow one holds the claim and is sending
        clock.advance(LEASE)
        await a_sender(outgoing, other_mailer, clock).run_once()
        await sending

        message = await stored(outgoing, mail.id)
        assert (message.status, message.reason) == ("sent", "250 sent by the other")


class TestStoreDown:
    async def test_a_sent_mail_whose_outcome_cannot_be_recorded_yet_is_recorded_once_the_store_is_back(
            self, outgoing: OutgoingStore, monkeypatch: pytest.MonkeyPatch) -> None:
        mail, clock, mailer = a_mail(), Clock(), ScriptedMailer()
        await queue_mail(mail, outgoing, SEAL)
        changes, keep = 0, outgoing.change

        async def down_after_the_claim(message_id: str, decide: Any) -> Any:
            nonlocal changes
            changes += 1
            if changes in (2, 3):  # the first change claims the message; the next two find the store down
                raise AutoReconnect("127.0.0.1:27017: connection closed")
            return await keep(message_id, decide)

        async def no_wait(seconds: float) -> None:
            return None

        monkeypatch.setattr(outgoing, "change", down_after_the_claim)
        monkeypatch.setattr(retry.asyncio, "sleep", no_wait)
        await a_sender(outgoing, mailer, clock).run_once()
        clock.advance(LEASE * 2)  # long after the claim's lease: nothing is left to take over
        again = await a_sender(outgoing, mailer, clock).run_once()

        assert (await stored(outgoing, mail.id)).status == "sent"
        assert (again, len(mailer.given)) == (0, 1)
