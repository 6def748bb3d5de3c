"""An agent's request for full admin access is mailed to each of the customer's admins once, in their language,
with what the agent wrote escaped in the HTML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.access import AccessRequested, AdminRecipient
from services.email.access_requests import mail_admins
from services.email.outgoing import OutgoingStore, opened
from tests.mail import SEAL

pytestmark = pytest.mark.unit


def requested(*admins: AdminRecipient, reason: str = "Ticket 4711") -> AccessRequested:
    return AccessRequested(request_id="ar-1", org_id="o-acme", agent_id="u-advanced", agent_name="Ava Advanced",
                           reason=reason, expires_at=datetime(2025, 3, 1, 13, tzinfo=UTC),
                           partner_name="Northwind Partners", admins=admins, partner_id="p-northwind")


@pytest.fixture
def outgoing() -> OutgoingStore:
    return OutgoingStore.memory()


async def mails_to(outgoing: OutgoingStore, address: str) -> list[str]:
    return [opened(message, SEAL).text for message in await outgoing.sent_to(address)]


async def test_each_admin_gets_one_mail_and_a_redelivery_mails_nothing_more(outgoing: OutgoingStore) -> None:
    event = requested(AdminRecipient(address="it@acme.example", name="Carla Admin"),
                      AdminRecipient(address="boss@acme.example", name="Bo Boss"))

    first = await mail_admins(event, outgoing, SEAL)
    again = await mail_admins(event, outgoing, SEAL)

    assert (first, again) == (2, 0)
    [carlas] = await mails_to(outgoing, "it@acme.example")
    assert "Hello Carla Admin," in carlas
    assert "Ava Advanced, of your IT support partner Northwind Partners" in carlas
    assert "Ticket 4711" in carlas
    assert "Access requests" in carlas
    assert len(await mails_to(outgoing, "boss@acme.example")) == 1


async def test_an_italian_admin_reads_it_in_italian(outgoing: OutgoingStore) -> None:
    await mail_admins(requested(AdminRecipient(address="it@acme.example", name="Carla", locale="it")), outgoing, SEAL)

    [message] = await outgoing.sent_to("it@acme.example")

    assert message.locale == "it"
    assert message.subject == "Ava Advanced chiede l'accesso da amministratore alla tua organizzazione"
    assert "Richieste di accesso" in opened(message, SEAL).text


async def test_the_agents_words_are_escaped_in_the_html(outgoing: OutgoingStore) -> None:
    event = requested(AdminRecipient(address="it@acme.example"), reason="<script>alert(1)</script>")

    await mail_admins(event, outgoing, SEAL)

    [message] = await outgoing.sent_to("it@acme.example")
    html = opened(message, SEAL).html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_an_invalid_address_does_not_keep_the_others_from_their_mail(outgoing: OutgoingStore) -> None:
    event = requested(AdminRecipient(address="not an address"), AdminRecipient(address="it@acme.example"))

    queued = await mail_admins(event, outgoing, SEAL)

    assert queued == 1
    assert len(await mails_to(outgoing, "it@acme.example")) == 1
