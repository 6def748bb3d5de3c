"""The mail queue behaves the same in memory and on MongoDB: queued once, found by address and while it waits, its
body sealed, and claimed by one sender at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.email.outgoing import ClaimStore, OutgoingStore, queue_mail
from tests.contract.conftest import versioned_store
from tests.mail import SEAL, Clock, ScriptedMailer, a_mail, a_sender


@pytest.fixture
async def outgoing(database: AsyncDatabase[dict[str, Any]] | None) -> OutgoingStore:
    return await versioned_store(OutgoingStore, database)


@pytest.fixture
async def claims(database: AsyncDatabase[dict[str, Any]] | None) -> ClaimStore:
    return await versioned_store(ClaimStore, database)


async def test_a_mail_is_queued_once_and_found_by_address_while_it_waits(outgoing: OutgoingStore) -> None:
    mail, other = a_mail(to="Jane.Doe@acme.example"), a_mail()

    queued = [await queue_mail(m, outgoing, SEAL) for m in (mail, mail, other)]

    assert queued == [True, False, True]
    assert [m.id for m in await outgoing.sent_to("jane.doe@acme.example")] == [mail.id]
    assert sorted(m.id for m in await outgoing.waiting_messages()) == sorted([mail.id, other.id])


async def test_a_sent_message_no_longer_waits_and_keeps_no_body(outgoing: OutgoingStore, claims: ClaimStore) -> None:
    mail = a_mail(text="Your code is 731904.", html="<b>731904</b>")
    await queue_mail(mail, outgoing, SEAL)
    stored_while_queued = str(await outgoing.documents.get(mail.id))

    await a_sender(outgoing, ScriptedMailer("250 OK"), Clock(), claims=claims).run_once()

    assert "731904" not in stored_while_queued
    assert await outgoing.waiting_messages() == []
    sent = await outgoing.get(mail.id)
    assert sent is not None
    assert (sent.status, sent.reason, sent.sealed_body) == ("sent", "250 OK", None)


async def test_two_senders_on_one_store_send_each_message_once(outgoing: OutgoingStore, claims: ClaimStore) -> None:
    mails = [a_mail() for _ in range(6)]
    for mail in mails:
        await queue_mail(mail, outgoing, SEAL)
    one, other = ScriptedMailer(pause=0.01), ScriptedMailer(pause=0.01)

    await asyncio.gather(a_sender(outgoing, one, Clock(), claims=claims).run_once(),
                         a_sender(outgoing, other, Clock(), claims=claims).run_once())

    assert sorted(m.id for m in one.given + other.given) == sorted(m.id for m in mails)
