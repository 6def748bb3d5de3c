"""An agent asks a customer for full admin access; an admin approves, denies or ends it; an unanswered request
lapses after an hour and an approval after its hour, each read as it stands at the moment of reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import Event
from contracts.access import AccessRequestApproved, AccessRequestDenied, AccessRequested, AdminRecipient
from services.access import full_admin
from services.access.request_store import AdminSessionStore, RequestStore
from services.access.requests import (
    AccessNotGranted,
    AccessRequest,
    AlreadyAnswered,
    NotApproved,
    RequestNotFound,
    SessionNotFound,
)

pytestmark = pytest.mark.unit

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
CARLA = AdminRecipient(address="it@acme.example", name="Carla Admin", locale="it")


@pytest.fixture
def store() -> RequestStore:
    return RequestStore.memory()


@pytest.fixture
def sessions() -> AdminSessionStore:
    return AdminSessionStore.memory()


async def ask(store: RequestStore, org_id: str = "o-acme", at: datetime = NOON) -> AccessRequest:
    return await full_admin.request_access(org_id, "p-northwind", "u-advanced", "Ava Advanced", "Northwind Partners",
                                           "Ticket 4711", [CARLA], store, now=at)


async def announced(store: RequestStore) -> list[Event]:
    return [pending.event for pending in await store.documents.pending(100)]


async def status_of(store: RequestStore, request_id: str, at: datetime) -> str:
    request = await store.get(request_id)
    assert request is not None
    return request.status(at)


class TestRequest:
    async def test_a_request_waits_an_hour_and_is_announced_with_the_admins_to_mail(self, store: RequestStore) -> None:
        request = await ask(store)

        assert (request.status(NOON), request.expires_at) == ("pending", NOON + HOUR)
        [event] = await announced(store)
        assert isinstance(event, AccessRequested)
        assert (event.request_id, event.org_id, event.agent_name, event.partner_name, event.reason) == (
            request.request_id, "o-acme", "Ava Advanced", "Northwind Partners", "Ticket 4711")
        assert (event.admins, event.expires_at, event.partner_id) == ((CARLA,), NOON + HOUR, "p-northwind")

    async def test_an_unanswered_request_expires_after_an_hour(self, store: RequestStore) -> None:
        request = await ask(store)

        assert await status_of(store, request.request_id, NOON + HOUR - MINUTE) == "pending"
        assert await status_of(store, request.request_id, NOON + HOUR) == "expired"

    async def test_an_expired_request_can_no_longer_be_approved(self, store: RequestStore) -> None:
        request = await ask(store)

        with pytest.raises(AlreadyAnswered, match="expired"):
            await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON + HOUR)

    async def test_the_customers_requests_are_listed_newest_first(self, store: RequestStore) -> None:
        first, second = await ask(store), await ask(store, at=NOON + MINUTE)
        await ask(store, org_id="o-bistro")

        listed = await full_admin.requests_of("o-acme", store)

        assert [r.request_id for r in listed] == [second.request_id, first.request_id]


class TestApprove:
    async def test_an_approval_opens_an_hour_of_access_and_is_announced(self, store: RequestStore) -> None:
        request = await ask(store)

        approved = await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON + MINUTE)

        assert (approved.status(NOON + MINUTE), approved.expires_at) == ("approved", NOON + MINUTE + HOUR)
        event = (await announced(store))[-1]
        assert isinstance(event, AccessRequestApproved)
        assert (event.approved_by, event.expires_at) == ("u-cadmin", NOON + MINUTE + HOUR)

    async def test_approving_twice_changes_and_announces_nothing(self, store: RequestStore) -> None:
        request = await ask(store)
        await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON)

        again = await full_admin.approve("o-acme", request.request_id, "u-other-admin", store, now=NOON + MINUTE)

        assert (again.approved_by, again.approved_at) == ("u-cadmin", NOON)
        assert len(await announced(store)) == 2

    async def test_another_orgs_request_is_not_found_like_an_unknown_one(self, store: RequestStore) -> None:
        bistros = await ask(store, org_id="o-bistro")

        for request_id in (bistros.request_id, "ar-nobody"):
            with pytest.raises(RequestNotFound):
                await full_admin.approve("o-acme", request_id, "u-cadmin", store, now=NOON)
        assert await status_of(store, bistros.request_id, NOON) == "pending"


class TestDeny:
    async def test_a_denied_request_gives_no_session(self, store: RequestStore, sessions: AdminSessionStore) -> None:
        request = await ask(store)

        denied = await full_admin.deny("o-acme", request.request_id, "u-cadmin", store, now=NOON)

        assert denied.status(NOON) == "denied"
        assert isinstance((await announced(store))[-1], AccessRequestDenied)
        with pytest.raises(AccessNotGranted, match="ask for it first"):
            await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions, now=NOON)

    async def test_an_approved_request_can_no_longer_be_denied(self, store: RequestStore) -> None:
        request = await ask(store)
        await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON)

        with pytest.raises(AlreadyAnswered, match="approved"):
            await full_admin.deny("o-acme", request.request_id, "u-cadmin", store, now=NOON)


class TestAdminSession:
    async def test_a_pending_request_gives_no_session_and_says_so(self, store: RequestStore,
                                                                  sessions: AdminSessionStore) -> None:
        await ask(store)

        with pytest.raises(AccessNotGranted, match="not approved your request yet"):
            await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions, now=NOON)

    async def test_a_session_opens_the_approved_org_and_keeps_only_the_tokens_hash(
            self, store: RequestStore, sessions: AdminSessionStore) -> None:
        request = await ask(store)
        await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON)

        session, token, _ = await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions,
                                                          now=NOON + MINUTE)
        standing = await full_admin.check_session(token, "u-advanced", store, sessions, now=NOON + 2 * MINUTE)

        assert (standing.org_id, standing.request_id, standing.reason, standing.expires_at) == (
            "o-acme", request.request_id, "Ticket 4711", NOON + HOUR)
        assert session.expires_at == NOON + HOUR
        assert await sessions.get(token) is None
        assert await sessions.get(full_admin.token_digest(token)) is not None

    async def test_the_window_ends_after_its_hour(self, store: RequestStore, sessions: AdminSessionStore) -> None:
        request = await ask(store)
        await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON)
        _, token, _ = await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions, now=NOON)

        await full_admin.check_session(token, "u-advanced", store, sessions, now=NOON + HOUR - MINUTE)
        with pytest.raises(AccessNotGranted):
            await full_admin.check_session(token, "u-advanced", store, sessions, now=NOON + HOUR)
        with pytest.raises(AccessNotGranted, match="has ended"):
            await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions, now=NOON + HOUR)
        assert await status_of(store, request.request_id, NOON + HOUR) == "ended"

    async def test_the_window_ends_at_once_when_an_admin_ends_it(self, store: RequestStore,
                                                                 sessions: AdminSessionStore) -> None:
        request = await ask(store)
        await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON)
        _, token, _ = await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions, now=NOON)

        ended = await full_admin.end("o-acme", request.request_id, "u-cadmin", store, now=NOON + MINUTE)

        assert (ended.status(NOON + MINUTE), ended.expires_at) == ("ended", NOON + MINUTE)
        with pytest.raises(AccessNotGranted):
            await full_admin.check_session(token, "u-advanced", store, sessions, now=NOON + MINUTE)
        again = await full_admin.end("o-acme", request.request_id, "u-cadmin", store, now=NOON + 2 * MINUTE)
        assert again.ended_at == NOON + MINUTE

    async def test_only_an_approved_request_can_be_ended(self, store: RequestStore) -> None:
        request = await ask(store)

        with pytest.raises(NotApproved, match="pending"):
            await full_admin.end("o-acme", request.request_id, "u-cadmin", store, now=NOON)

    async def test_another_agents_token_is_not_a_session(self, store: RequestStore,
                                                         sessions: AdminSessionStore) -> None:
        request = await ask(store)
        await full_admin.approve("o-acme", request.request_id, "u-cadmin", store, now=NOON)
        _, token, _ = await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions, now=NOON)

        for agent_id, presented in (("u-someone-else", token), ("u-advanced", token + "x")):
            with pytest.raises(SessionNotFound):
                await full_admin.check_session(presented, agent_id, store, sessions, now=NOON)

    async def test_an_approval_for_another_org_opens_nothing_here(self, store: RequestStore,
                                                                  sessions: AdminSessionStore) -> None:
        bistros = await ask(store, org_id="o-bistro")
        await full_admin.approve("o-bistro", bistros.request_id, "u-bistro-admin", store, now=NOON)

        with pytest.raises(AccessNotGranted):
            await full_admin.open_session("o-acme", "u-advanced", "p-northwind", store, sessions, now=NOON)
