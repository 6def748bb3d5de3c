"""Delivery reports keep each address's last message; a hard bounce or a complaint suppresses it until an agent
removes the suppression. Reports come late, twice and out of order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from contracts import Event
from contracts.email import DeliveryStatus, EmailStatusChanged, SuppressionRemoved
from services.email import demo
from services.email.domain import STAGE, DeliveryReport, InvalidAddress, NotSuppressed
from services.email.handlers import address_status, record_reports, remove_suppression
from services.email.outgoing import OutgoingStore
from services.email.store import AddressStore

pytestmark = pytest.mark.unit

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
JANE = "jane.doe@acme.example"


@pytest.fixture
def store() -> AddressStore:
    return AddressStore.memory()


def report(status: str, at: datetime | None = T0, address: str = JANE, **fields: Any) -> DeliveryReport:
    return DeliveryReport.model_validate({"address": address, "status": status, "at": at, **fields})


async def announced(store: AddressStore) -> list[Event]:
    return [pending.event for pending in await store.documents.pending(100)]


async def shown(store: AddressStore, address: str = JANE) -> dict[str, Any]:
    return (await address_status(address, store, OutgoingStore.memory())).model_dump(mode="json")


class TestLastMessage:
    async def test_the_last_report_is_kept_and_announced(self, store: AddressStore) -> None:
        changed = await record_reports([report("sent", kind="verification_code"),
                                        report("delivered", T0 + MINUTE, kind="verification_code")], store)

        assert changed == 2
        assert await shown(store) == {
            "address": JANE, "suppressed": False, "suppression": None,
            "last_message": {"kind": "verification_code", "status": "delivered", "at": "2025-03-01T12:01:00Z",
                             "reason": None},
            "messages": [
                {"kind": "verification_code", "subject": "", "status": "delivered", "at": "2025-03-01T12:01:00Z",
                 "reason": None},
                {"kind": "verification_code", "subject": "", "status": "sent", "at": "2025-03-01T12:00:00Z",
                 "reason": None}]}
        event = (await announced(store))[-1]
        assert isinstance(event, EmailStatusChanged)
        assert (event.address, event.status, event.kind, event.at) == (JANE, "delivered", "verification_code",
                                                                       T0 + MINUTE)

    async def test_an_address_is_one_address_whatever_its_case(self, store: AddressStore) -> None:
        await record_reports([report("sent", address="Jane.Doe@ACME.example")], store)
        await record_reports([report("delivered", T0 + MINUTE, address="JANE.DOE@acme.EXAMPLE")], store)

        assert (await shown(store, "jane.DOE@Acme.Example"))["last_message"]["status"] == "delivered"
        assert {e.key() for e in await announced(store)} == {JANE}
        assert await store.documents.count() == 1

    async def test_a_report_without_a_time_is_taken_as_of_its_arrival(self, store: AddressStore) -> None:
        await record_reports([report("deferred", at=None)], store, now=T0)

        assert (await shown(store))["last_message"]["at"] == "2025-03-01T12:00:00Z"

    async def test_a_repeated_or_older_report_changes_and_announces_nothing(self, store: AddressStore) -> None:
        await record_reports([report("delivered", T0 + MINUTE)], store)

        changed = await record_reports([report("delivered", T0 + MINUTE), report("sent", T0)], store)

        assert changed == 0
        assert (await shown(store))["last_message"]["status"] == "delivered"
        assert len(await announced(store)) == 1

    async def test_an_undated_report_saying_what_the_last_one_said_is_a_repeat(self, store: AddressStore) -> None:
        await record_reports([report("delivered", at=None, kind="welcome")], store, now=T0)

        again = await record_reports([report("delivered", at=None, kind="welcome")], store, now=T0 + MINUTE)
        news = await record_reports([report("deferred", at=None, kind="welcome")], store, now=T0 + 2 * MINUTE)

        assert (again, news) == (0, 1)
        assert [e.status for e in await announced(store)] == ["delivered", "deferred"]  # type: ignore[attr-defined]

    async def test_of_two_reports_of_the_same_moment_the_later_status_stands_in_any_order(
            self, store: AddressStore) -> None:
        other = AddressStore.memory()
        await record_reports([report("delivered"), report("bounced"), report("delivered")], store)
        await record_reports([report("bounced"), report("delivered"), report("bounced")], other)

        assert (await shown(store))["last_message"]["status"] == "bounced"
        assert await shown(store) == await shown(other)
        assert [e.status for e in await announced(store)] == ["delivered", "bounced"]  # type: ignore[attr-defined]

    def test_every_delivery_status_has_its_stage_in_a_messages_life(self) -> None:
        assert set(STAGE) == set(get_args(DeliveryStatus))

    async def test_an_address_never_reported_on_has_no_message_and_is_not_suppressed(
            self, store: AddressStore) -> None:
        assert await shown(store, "nobody@acme.example") == {
            "address": "nobody@acme.example", "last_message": None, "messages": [], "suppressed": False,
            "suppression": None}
        assert await store.documents.count() == 0


class TestSuppression:
    @pytest.mark.parametrize(("status", "reason", "expected"), [
        ("bounced", "550 5.1.1 The mailbox does not exist", "550 5.1.1 The mailbox does not exist"),
        ("bounced", None, "hard bounce"),
        ("complained", None, "spam complaint"),
    ])
    async def test_a_hard_bounce_or_a_complaint_suppresses_the_address_with_reason_and_since(
            self, store: AddressStore, status: str, reason: str | None, expected: str) -> None:
        await record_reports([report(status, reason=reason)], store)

        view = await shown(store)
        assert view["suppressed"] is True
        assert view["suppression"] == {"reason": expected, "since": "2025-03-01T12:00:00Z"}

    @pytest.mark.parametrize("status", ["queued", "sent", "delivered", "deferred", "suppressed"])
    async def test_other_reports_do_not_suppress(self, store: AddressStore, status: str) -> None:
        await record_reports([report(status)], store)

        assert (await shown(store))["suppressed"] is False

    async def test_a_suppression_stays_from_its_first_cause_until_removed(self, store: AddressStore) -> None:
        await record_reports([report("bounced", reason="first"), report("delivered", T0 + MINUTE),
                              report("complained", T0 + 2 * MINUTE)], store)

        view = await shown(store)
        assert view["suppression"] == {"reason": "first", "since": "2025-03-01T12:00:00Z"}
        assert view["last_message"]["status"] == "complained"

    async def test_removing_the_suppression_is_announced_with_who_and_for_whom(self, store: AddressStore) -> None:
        await record_reports([report("bounced")], store)

        view = await remove_suppression("JANE.DOE@acme.example", store, user_id="u-jane", agent_id="u-agent",
                                        partner_id="p-northwind", now=T0 + MINUTE)

        assert (view.suppressed, view.suppression) == (False, None)
        assert (await shown(store))["last_message"]["status"] == "bounced"
        event = (await announced(store))[-1]
        assert isinstance(event, SuppressionRemoved)
        assert (event.address, event.user_id, event.agent_id, event.partner_id) == (JANE, "u-jane", "u-agent",
                                                                                     "p-northwind")

    @pytest.mark.parametrize("history", [[], ["delivered"], ["bounced", "removed"]])
    async def test_removing_a_suppression_that_is_not_there_is_refused_and_changes_nothing(
            self, store: AddressStore, history: list[str]) -> None:
        for step in history:
            if step == "removed":
                await remove_suppression(JANE, store, now=T0 + MINUTE)
            else:
                await record_reports([report(step)], store)
        before = await announced(store)

        with pytest.raises(NotSuppressed):
            await remove_suppression(JANE, store, now=T0 + 2 * MINUTE)

        assert await announced(store) == before

    async def test_a_bounce_from_before_the_removal_does_not_suppress_again_but_a_later_one_does(
            self, store: AddressStore) -> None:
        await record_reports([report("bounced")], store)
        await remove_suppression(JANE, store, now=T0 + 10 * MINUTE)

        await record_reports([report("bounced", T0 + 5 * MINUTE, reason="arrived late")], store)
        late = await shown(store)
        await record_reports([report("bounced", T0 + 11 * MINUTE, reason="bounced again")], store)
        again = await shown(store)

        assert (late["suppressed"], late["last_message"]["reason"]) == (False, "arrived late")
        assert again["suppression"] == {"reason": "bounced again", "since": "2025-03-01T12:11:00Z"}


    async def test_an_undated_bounce_sent_again_after_the_removal_does_not_suppress_again(
            self, store: AddressStore) -> None:
        await record_reports([report("bounced", at=None, reason="550 no such user")], store, now=T0)
        await remove_suppression(JANE, store, now=T0 + 10 * MINUTE)

        changed = await record_reports([report("bounced", at=None, reason="550 no such user")], store,
                                        now=T0 + 20 * MINUTE)

        assert (changed, (await shown(store))["suppressed"]) == (0, False)

class TestReports:
    @pytest.mark.parametrize(("fields", "says"), [
        ({"address": "jane.doe@", "status": "bounced"}, "is not an e-mail address"),
        ({"address": "not an address", "status": "bounced"}, "is not an e-mail address"),
        ({"address": JANE, "status": "bonced"}, "'queued', 'sent', 'delivered'"),
        ({"address": JANE, "status": "bounced", "at": "2025-03-01T12:00:00"}, "timezone"),
    ])
    def test_a_report_that_cannot_be_read_says_why(self, fields: dict[str, Any], says: str) -> None:
        with pytest.raises(ValidationError, match=says):
            DeliveryReport.model_validate(fields)

    async def test_a_bad_address_is_refused_when_asked_about(self, store: AddressStore) -> None:
        with pytest.raises(InvalidAddress, match="'jane@' is not an e-mail address"):
            await address_status("jane@", store, OutgoingStore.memory())


class TestDemo:
    async def test_seeding_gives_jane_a_delivered_message_and_suppresses_rene_once(self, store: AddressStore) -> None:
        await demo.seed(store)
        await demo.seed(store)

        jane, rene = await shown(store), await shown(store, "Rene.Lefevre@bistro.example")
        assert jane["last_message"]["status"] == "delivered"
        assert jane["suppressed"] is False
        assert rene["suppressed"] is True
        assert rene["suppression"]["reason"] == "550 5.1.1 The mailbox does not exist"
        assert len(await announced(store)) == 2

    async def test_an_agents_removal_of_the_demo_suppression_survives_seeding_again(
            self, store: AddressStore) -> None:
        await demo.seed(store)
        await remove_suppression("rene.lefevre@bistro.example", store)

        await demo.seed(store)

        assert (await shown(store, "rene.lefevre@bistro.example"))["suppressed"] is False
