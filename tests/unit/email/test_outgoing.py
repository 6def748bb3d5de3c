"""The mail queue: a mail is queued once by its id with the events announced with it, and its body is kept sealed
until it is sent, then erased."""

from __future__ import annotations

import pytest

from contracts.email import CodeSent
from services.email.outgoing import BodyUnreadable, OutgoingStore, Seal, opened, queue_mail
from tests.mail import SEAL, Clock, ScriptedMailer, a_mail, a_sender

pytestmark = pytest.mark.unit


@pytest.fixture
def outgoing() -> OutgoingStore:
    return OutgoingStore.memory()


def code_sent() -> CodeSent:
    return CodeSent.model_validate({"code_id": "c-1", "user_id": "u-jane", "org_id": "o-acme", "agent_id": "u-agent",
                                    "sent_to": "j***@acme.example", "expires_at": "2025-03-01T12:10:00Z"})


class TestQueueing:
    async def test_a_mail_queued_twice_is_one_message_sent_once(self, outgoing: OutgoingStore) -> None:
        mail, mailer = a_mail(), ScriptedMailer()

        first = await queue_mail(mail, outgoing, SEAL, [code_sent()])
        again = await queue_mail(mail, outgoing, SEAL, [code_sent()])
        await a_sender(outgoing, mailer, Clock()).run_once()
        await a_sender(outgoing, mailer, Clock()).run_once()

        assert (first, again) == (True, False)
        assert await outgoing.documents.count() == 1
        assert [m.id for m in mailer.given] == [mail.id]
        assert [type(p.event) for p in await outgoing.documents.pending(10)] == [CodeSent]

    async def test_the_events_go_in_the_same_write_as_the_mail(self, outgoing: OutgoingStore) -> None:
        mail = a_mail()

        await queue_mail(mail, outgoing, SEAL, [code_sent()])

        pending = await outgoing.documents.pending(10)
        assert [(p.collection, p.doc_id) for p in pending] == [("outgoing", mail.id)]

    async def test_queueing_wakes_the_sender_but_a_repeat_does_not(self, outgoing: OutgoingStore) -> None:
        woken: list[str] = []
        outgoing.when_queued(lambda: woken.append("sender"))
        mail = a_mail()

        await queue_mail(mail, outgoing, SEAL)
        await queue_mail(mail, outgoing, SEAL)

        assert woken == ["sender"]

    async def test_a_queued_message_shows_as_queued_to_its_address(self, outgoing: OutgoingStore) -> None:
        mail = a_mail(to="Jane.Doe@ACME.example")

        await queue_mail(mail, outgoing, SEAL)

        [message] = await outgoing.sent_to("jane.doe@acme.example")
        assert (message.seen().status, message.seen().subject, message.attempts) == (
            "queued", "Your verification code", 0)


class TestSealedBody:
    async def test_the_stored_document_does_not_give_the_body_away(self, outgoing: OutgoingStore) -> None:
        mail = a_mail(text="Your code is 731904.", html="<p>731904</p>")

        await queue_mail(mail, outgoing, SEAL)

        stored = await outgoing.documents.get(mail.id)
        assert stored is not None
        assert "731904" not in str(stored)
        assert opened(await outgoing.get(mail.id) or pytest.fail("not stored"), SEAL) == mail

    async def test_the_body_is_erased_once_sent(self, outgoing: OutgoingStore) -> None:
        mail = a_mail()
        await queue_mail(mail, outgoing, SEAL)

        await a_sender(outgoing, ScriptedMailer(), Clock()).run_once()

        stored = await outgoing.get(mail.id)
        assert stored is not None
        assert (stored.status, stored.sealed_body) == ("sent", None)

    async def test_another_secret_cannot_open_a_sealed_body(self) -> None:
        sealed = Seal.from_secret(b"one secret").seal("Your code is 731904.")

        with pytest.raises(BodyUnreadable):
            Seal.from_secret(b"another secret").open(sealed)
        with pytest.raises(BodyUnreadable):
            Seal.of_this_process().open(sealed)
        assert Seal.from_secret(b"one secret").open(sealed) == "Your code is 731904."

    def test_a_seal_without_a_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="needs a secret"):
            Seal.from_secret(b"")
