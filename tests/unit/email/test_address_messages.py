"""An address's recent messages, newest first: what the service sent (with the mail server's reply) and what mail
providers reported on; and the embedded mode's outbox, which only the memory mailer keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from runtime.bus import InProcessBus
from runtime.service import Infrastructure
from runtime.web import create_app
from services.email import api, app
from services.email.config import EmailSettings
from services.email.domain import RECENT_MESSAGES, DeliveryReport
from services.email.handlers import address_status, record_reports
from services.email.mailers import MemoryMailer, SendingFailed
from services.email.outgoing import OutgoingStore, queue_mail
from services.email.store import AddressStore
from tests.mail import SEAL, Clock, ScriptedMailer, a_mail, a_sender

pytestmark = pytest.mark.unit

JANE = "jane.doe@acme.example"


async def messages(addresses: AddressStore, outgoing: OutgoingStore) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = (await address_status(JANE, addresses, outgoing)).model_dump(mode="json")["messages"]
    return shown


class TestRecentMessages:
    async def test_sends_and_reports_show_newest_first_with_the_servers_reply(self) -> None:
        addresses, outgoing, clock = AddressStore.memory(), OutgoingStore.memory(), Clock()
        refused = SendingFailed("421 4.3.2 Service not available", may_pass=True)
        sender = a_sender(outgoing, ScriptedMailer(refused, "250 2.0.0 Ok: queued"), clock, addresses)
        await queue_mail(a_mail(to=JANE, id="first"), outgoing, SEAL)
        await sender.run_once()
        clock.advance(timedelta(seconds=30))
        await sender.run_once()
        clock.advance(timedelta(minutes=1))
        await record_reports([DeliveryReport(address=JANE, status="delivered", kind="verification_code",
                                             at=clock.at)], addresses)
        clock.advance(timedelta(minutes=1))
        await queue_mail(a_mail(to=JANE, id="second", subject="Another code"), outgoing, SEAL)
        await a_sender(outgoing, ScriptedMailer(refused), clock, addresses).run_once()

        shown = await messages(addresses, outgoing)

        assert [(m["subject"], m["status"], m["reason"]) for m in shown] == [
            ("Another code", "deferred", "421 4.3.2 Service not available"),
            ("", "delivered", None),
            ("Your verification code", "sent", "250 2.0.0 Ok: queued")]
        assert [m["at"] for m in shown] == sorted((m["at"] for m in shown), reverse=True)

    async def test_only_the_most_recent_messages_are_shown(self) -> None:
        addresses, outgoing = AddressStore.memory(), OutgoingStore.memory()
        for n in range(RECENT_MESSAGES + 5):
            await queue_mail(a_mail(to=JANE, subject=f"mail {n}"), outgoing, SEAL)
        clock = Clock()
        for _ in range(RECENT_MESSAGES + 5):
            clock.advance(timedelta(seconds=1))
            await record_reports([DeliveryReport(address=JANE, status="delivered", at=clock.at)], addresses)

        shown = await messages(addresses, outgoing)

        assert len(shown) == RECENT_MESSAGES
        assert shown[0]["at"] == clock.at.isoformat().replace("+00:00", "Z")

    async def test_a_failed_send_is_shown_failed_though_no_event_carries_that_status(self) -> None:
        addresses, outgoing = AddressStore.memory(), OutgoingStore.memory()
        await queue_mail(a_mail(to=JANE), outgoing, SEAL)
        refused = SendingFailed("550 5.7.1 Relaying denied", may_pass=False)

        await a_sender(outgoing, ScriptedMailer(refused), Clock(), addresses).run_once()

        assert [(m["status"], m["reason"]) for m in await messages(addresses, outgoing)] == [
            ("failed", "550 5.7.1 Relaying denied")]


@pytest.fixture
def mailer() -> MemoryMailer:
    return MemoryMailer(now=Clock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC)))


@pytest.fixture
async def memory_outbox(mailer: MemoryMailer) -> AsyncIterator[httpx.AsyncClient]:
    outbox = create_app("email", {}, app.REFUSALS)
    outbox.include_router(api.outbox_router(mailer))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outbox), base_url="http://email") as client:
        yield client


class TestOutbox:
    async def test_the_memory_mailers_outbox_is_read_by_address(self, memory_outbox: httpx.AsyncClient,
                                                                 mailer: MemoryMailer) -> None:
        await mailer.send(a_mail(to=JANE, subject="Your verification code", text="Your code is 731904."))
        await mailer.send(a_mail(to="rene@bistro.example"))

        everything = await memory_outbox.get("/internal/outbox")
        janes = await memory_outbox.get("/internal/outbox", params={"to": "Jane.Doe@ACME.example"})
        bad = await memory_outbox.get("/internal/outbox", params={"to": "jane@"})

        assert [m["to"] for m in everything.json()] == ["rene@bistro.example", JANE]
        assert janes.json() == [{"to": JANE, "subject": "Your verification code", "text": "Your code is 731904.",
                                 "at": "2025-03-01T12:00:00Z"}]
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_address")

    async def test_a_service_that_sends_real_mail_has_no_outbox(self) -> None:
        service = app.build(EmailSettings(storage="memory", mailer="smtp"), Infrastructure(InProcessBus()))
        transport = httpx.ASGITransport(app=service.api)
        async with httpx.AsyncClient(transport=transport, base_url="http://email") as client:
            response = await client.get("/internal/outbox")

        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "no_outbox", "message": "This service sends real mail: read it in the recipient's mailbox."}
