"""Read-only sessions: opened only under the customer's grant, refused saying why, ended with the grant, with the
agent's role and after 15 minutes; the token is kept only as a hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from contracts import Event
from contracts.access import AccessExpired, AccessRevoked, ReadOnlySessionEnded, ReadOnlySessionStarted
from contracts.identity import RoleRevoked
from services.access.grant_expiry import expire
from services.access.handlers import grant_access, revoke_access
from services.access.session_handlers import end_lapsed, follow_agent, follow_grant, start_session
from services.access.session_store import SessionStore
from services.access.sessions import AccessNotGranted, ReadOnlySession
from services.access.store import GrantStore

pytestmark = pytest.mark.unit

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
def grants() -> GrantStore:
    return GrantStore.memory()


@pytest.fixture
def store() -> SessionStore:
    return SessionStore.memory()


async def announced(store: SessionStore) -> list[Event]:
    return [pending.event for pending in await store.documents.pending(100)]


async def open_session(grants: GrantStore, store: SessionStore, at: datetime = NOON, partner: str = "p-northwind",
                       agent: str = "u-agent") -> tuple[ReadOnlySession, str]:
    return await start_session("o-acme", partner, agent, "agent@northwind.example", "Ticket 4711", grants, store,
                               now=at)


async def stored(store: SessionStore, session: ReadOnlySession) -> ReadOnlySession:
    found = await store.get(session.id)
    assert found is not None
    return found


class TestStart:
    async def test_a_session_opens_for_15_minutes_while_the_customer_grants_the_agents_partner(
            self, grants: GrantStore, store: SessionStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, grants, now=NOON - HOUR)

        session, token = await open_session(grants, store)

        assert (session.org_id, session.agent_id, session.partner_id) == ("o-acme", "u-agent", "p-northwind")
        assert session.expires_at == NOON + 15 * MINUTE
        [event] = await announced(store)
        assert isinstance(event, ReadOnlySessionStarted)
        assert (event.session_id, event.org_id, event.agent_id, event.partner_id, event.reason) == (
            session.id, "o-acme", "u-agent", "p-northwind", "Ticket 4711")
        assert event.token_hash == hashlib.sha256(token.encode()).hexdigest()

    async def test_the_token_is_kept_and_announced_only_as_its_hash(self, grants: GrantStore,
                                                                     store: SessionStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, grants, now=NOON - HOUR)

        session, token = await open_session(grants, store)

        document = await store.documents.get(session.id)
        assert token not in str(document)
        assert token not in str([event.model_dump() for event in await announced(store)])
        assert len(token) > 40

    @pytest.mark.parametrize(("history", "why"), [
        ("never granted", "never_granted"), ("granted to another partner", "never_granted"),
        ("revoked", "revoked"), ("expired", "expired")])
    async def test_without_a_standing_grant_the_session_is_refused_saying_why(
            self, grants: GrantStore, store: SessionStore, history: str, why: str) -> None:
        partner = "p-contoso" if history == "granted to another partner" else "p-northwind"
        if history != "never granted":
            await grant_access("o-acme", partner, "u-cadmin", NOON - MINUTE, grants, now=NOON - HOUR)
        if history == "revoked":
            await revoke_access("o-acme", "u-cadmin", grants, now=NOON - 30 * MINUTE)

        with pytest.raises(AccessNotGranted) as refused:
            await open_session(grants, store)

        assert refused.value.why == why
        assert await announced(store) == []


class TestEnd:
    async def test_revoking_the_grant_ends_the_session(self, grants: GrantStore, store: SessionStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, grants, now=NOON - HOUR)
        session, _ = await open_session(grants, store)

        ended = await follow_grant(AccessRevoked(org_id="o-acme", revoked_by="u-cadmin", partner_id="p-northwind",
                                                 occurred_at=NOON + MINUTE), store, now=NOON + MINUTE)

        assert ended == 1
        assert (await stored(store, session)).ended_why == "revoked"
        event = (await announced(store))[-1]
        assert isinstance(event, ReadOnlySessionEnded)
        assert (event.session_id, event.org_id, event.why) == (session.id, "o-acme", "revoked")

    async def test_the_grant_expiring_ends_the_session(self, grants: GrantStore, store: SessionStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", NOON + 5 * MINUTE, grants, now=NOON - HOUR)
        session, _ = await open_session(grants, store)
        await expire("o-acme", grants, now=NOON + 5 * MINUTE)
        [expired] = [p.event for p in await grants.documents.pending(10) if isinstance(p.event, AccessExpired)]

        await follow_grant(expired, store, now=NOON + 5 * MINUTE)

        assert (await stored(store, session)).ended_why == "grant_expired"

    async def test_an_old_revocation_read_again_does_not_end_a_session_opened_since(
            self, grants: GrantStore, store: SessionStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, grants, now=NOON - HOUR)
        session, _ = await open_session(grants, store)

        ended = await follow_grant(AccessRevoked(org_id="o-acme", revoked_by="u-cadmin", partner_id="p-northwind",
                                                 occurred_at=NOON - 2 * HOUR), store, now=NOON + MINUTE)

        assert ended == 0
        assert (await stored(store, session)).open

    @pytest.mark.parametrize(("roles", "partner", "ends"), [
        ((), "p-northwind", True), (("helpdesk",), "p-contoso", True), (("helpdesk_advanced",), "p-northwind", False)])
    async def test_the_agent_losing_the_help_desk_role_for_the_partner_ends_the_session(
            self, grants: GrantStore, store: SessionStore, roles: tuple[str, ...], partner: str, ends: bool) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, grants, now=NOON - HOUR)
        session, _ = await open_session(grants, store)

        await follow_agent(RoleRevoked(user_id="u-agent", org_id="p-northwind", role="helpdesk", roles=roles,
                                       user_partner_id=partner, user_version=3, occurred_at=NOON + MINUTE),
                           store, now=NOON + MINUTE)

        assert (await stored(store, session)).open is not ends
        assert ((await stored(store, session)).ended_why == "role_lost") is ends

    async def test_a_session_ends_after_its_15_minutes_and_the_next_end_is_told(
            self, grants: GrantStore, store: SessionStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, grants, now=NOON - HOUR)
        first, _ = await open_session(grants, store)
        second, _ = await open_session(grants, store, at=NOON + 10 * MINUTE)

        before = await end_lapsed(store, now=NOON + 15 * MINUTE - timedelta(seconds=1))
        after = await end_lapsed(store, now=NOON + 15 * MINUTE)

        assert before == first.expires_at
        assert after == second.expires_at
        assert (await stored(store, first)).ended_why == "expired"
        assert (await stored(store, second)).open

    async def test_a_session_ends_once_whatever_ends_it_next(self, grants: GrantStore, store: SessionStore) -> None:
        await grant_access("o-acme", "p-northwind", "u-cadmin", None, grants, now=NOON - HOUR)
        await open_session(grants, store)
        revocation = AccessRevoked(org_id="o-acme", revoked_by="u-cadmin", partner_id="p-northwind",
                                   occurred_at=NOON + MINUTE)

        await follow_grant(revocation, store, now=NOON + MINUTE)
        await follow_grant(revocation, store, now=NOON + 2 * MINUTE)
        await end_lapsed(store, now=NOON + HOUR)

        assert [type(e) for e in await announced(store)] == [ReadOnlySessionStarted, ReadOnlySessionEnded]
