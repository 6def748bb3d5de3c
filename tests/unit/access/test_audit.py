"""The audit log: one entry per event, kept once, read by org or partner with filters, newest first, in pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts.access import ReadOnlySessionEnded
from contracts.gateway import AgentActionRecorded
from runtime.bus import InProcessBus
from runtime.service import Infrastructure, Service
from services.access import app, audit_log
from services.access.audit import AuditQuery, InvalidCursor
from services.access.audit_store import AuditStore
from services.access.config import AccessSettings

pytestmark = pytest.mark.unit

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NORTHWIND, CONTOSO = "p-northwind", "p-contoso"


def action(minute: int = 0, *, action: str = "user.viewed", org_id: str = "o-acme", partner_id: str = NORTHWIND,
           agent_id: str = "u-agent", agent_email: str = "agent@northwind.example", target_id: str = "u-jane",
           **more: Any) -> AgentActionRecorded:
    return AgentActionRecorded(agent_id=agent_id, agent_email=agent_email, action=action,
                               target_type=action.split(".")[0], target_id=target_id, org_id=org_id,
                               partner_id=partner_id, occurred_at=T0 + timedelta(minutes=minute), **more)


async def kept(*events: AgentActionRecorded) -> AuditStore:
    store = AuditStore.memory()
    for event in events:
        await audit_log.record_action(event, store)
    return store


async def read(store: AuditStore, **query: Any) -> list[dict[str, Any]]:
    page = await audit_log.read_audit(AuditQuery(**query), store)
    return [entry.model_dump(mode="json") for entry in page.entries]


async def walk(store: AuditStore, **query: Any) -> list[str]:
    """Every page in turn, as a reader following `next_cursor`: the targets seen, in order."""
    seen: list[str] = []
    cursor = None
    while True:
        page = await audit_log.read_audit(AuditQuery(cursor=cursor, **query), store)
        seen += [entry.target.id for entry in page.entries]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


# Keeping entries

async def test_an_agent_action_becomes_one_entry_saying_who_did_what_to_what_and_why() -> None:
    event = action(action="user.code_sent", correlation_id="req-1", reason="Ticket 4711")

    store = await kept(event)

    assert await read(store, org_id="o-acme") == [{
        "at": "2025-03-01T09:00:00Z", "agent": {"id": "u-agent", "email": "agent@northwind.example"},
        "action": "user.code_sent", "target": {"type": "user", "id": "u-jane"}, "reason": "Ticket 4711",
        "correlation_id": "req-1", "org_id": "o-acme"}]


async def test_a_redelivered_event_appears_once() -> None:
    event = action()
    store = AuditStore.memory()

    first = await audit_log.record_action(event, store)
    again = await audit_log.record_action(event, store)

    assert (first, again) == (True, False)
    assert len(await read(store, org_id="o-acme")) == 1


async def test_an_event_delivered_twice_by_the_bus_is_kept_once_by_the_service() -> None:
    bus = InProcessBus()
    service = app.build(AccessSettings(storage="memory"), Infrastructure(bus))
    service.attach(bus)
    event = action()
    await bus.start()
    try:
        await bus.publish(event)
        await bus.publish(event)
        await bus.drain()
        entries = await _internal(service, org_id="o-acme")
    finally:
        await bus.stop()

    assert [e["target"]["id"] for e in entries.json()["entries"]] == ["u-jane"]


async def test_the_end_of_a_read_only_session_is_kept_with_why_it_ended() -> None:
    store = AuditStore.memory()
    await audit_log.record_session_ended(ReadOnlySessionEnded(
        session_id="s-1", org_id="o-acme", agent_id="u-agent", why="revoked", partner_id=NORTHWIND,
        occurred_at=T0 + timedelta(minutes=1)), store)

    entries = await read(store, partner_id=NORTHWIND)

    assert [(e["action"], e["agent"], e["target"], e["reason"]) for e in entries] == [
        ("read_only_session.ended", {"id": "u-agent", "email": None}, {"type": "read_only_session", "id": "s-1"},
         "revoked")]


# Reading: scope and filters

async def test_entries_come_newest_first() -> None:
    store = await kept(action(2, target_id="b"), action(5, target_id="c"), action(1, target_id="a"))

    assert [e["target"]["id"] for e in await read(store, org_id="o-acme")] == ["c", "b", "a"]


async def test_an_org_never_sees_another_orgs_entries() -> None:
    store = await kept(action(target_id="mine"), action(org_id="o-bistro", target_id="theirs"),
                       action(action="search", org_id="", target_id="jane"))

    assert [e["target"]["id"] for e in await read(store, org_id="o-acme")] == ["mine"]


async def test_a_partner_never_sees_another_partners_agents_even_in_a_customer_both_served() -> None:
    store = await kept(action(1, target_id="ours"), action(2, target_id="in-bistro", org_id="o-bistro"),
                       action(3, partner_id=CONTOSO, agent_id="u-other-agent", target_id="theirs"),
                       action(4, action="search", org_id="", target_id="jane"))

    everywhere = await read(store, partner_id=NORTHWIND)
    in_acme = await read(store, partner_id=NORTHWIND, org_id="o-acme")
    contoso_in_acme = await read(store, partner_id=CONTOSO, org_id="o-acme")

    assert [e["target"]["id"] for e in everywhere] == ["jane", "in-bistro", "ours"]
    assert [e["target"]["id"] for e in in_acme] == ["ours"]
    assert [e["target"]["id"] for e in contoso_in_acme] == ["theirs"]


@pytest.mark.parametrize("agent", ["u-advanced", "Advanced@Northwind.example"])
async def test_entries_are_filtered_by_agent_id_or_email(agent: str) -> None:
    store = await kept(action(1, target_id="by-alex"),
                       action(2, agent_id="u-advanced", agent_email="advanced@northwind.example", target_id="by-ava"))

    assert [e["target"]["id"] for e in await read(store, org_id="o-acme", agent=agent)] == ["by-ava"]


async def test_entries_are_filtered_by_action() -> None:
    store = await kept(action(1, target_id="u-jane"), action(2, action="device.viewed", target_id="d-desk1"))

    assert [e["target"]["id"] for e in await read(store, org_id="o-acme", action="device.viewed")] == ["d-desk1"]


async def test_a_time_range_includes_its_start_and_excludes_its_end() -> None:
    store = await kept(*(action(minute, target_id=f"m{minute}") for minute in range(5)))

    entries = await read(store, org_id="o-acme", since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))

    assert [e["target"]["id"] for e in entries] == ["m2", "m1"]


# Reading: pages

async def test_pages_follow_each_other_without_gaps_or_repeats_even_within_one_instant() -> None:
    events = [action(minute // 3, target_id=f"t{minute}") for minute in range(11)]  # three to a minute
    store = await kept(*events)

    seen = await walk(store, org_id="o-acme", limit=2)

    assert sorted(seen) == sorted(e.target_id for e in events)
    assert len(seen) == len(set(seen))
    assert seen == [e["target"]["id"] for e in await read(store, org_id="o-acme", limit=200)]


async def test_an_entry_added_while_paging_shifts_nothing_on_the_pages_after() -> None:
    store = await kept(*(action(minute, target_id=f"m{minute}") for minute in range(4)))
    first = await audit_log.read_audit(AuditQuery(org_id="o-acme", limit=2), store)

    await audit_log.record_action(action(10, target_id="newer"), store)
    second = await audit_log.read_audit(AuditQuery(org_id="o-acme", limit=2, cursor=first.next_cursor), store)

    assert [e.target.id for e in first.entries + second.entries] == ["m3", "m2", "m1", "m0"]
    assert second.next_cursor is None


async def test_a_page_holds_fifty_entries_unless_told_otherwise() -> None:
    store = await kept(*(action(minute, target_id=f"m{minute}") for minute in range(51)))

    page = await audit_log.read_audit(AuditQuery(org_id="o-acme"), store)

    assert (len(page.entries), page.next_cursor is not None) == (50, True)


async def test_a_cursor_the_log_did_not_give_is_refused() -> None:
    with pytest.raises(InvalidCursor):
        await audit_log.read_audit(AuditQuery(org_id="o-acme", cursor="bm90IGEgY3Vyc29y"), AuditStore.memory())


# The internal API's refusals

@pytest.fixture
def service() -> Service:
    return app.build(AccessSettings(storage="memory"), Infrastructure(InProcessBus()))


async def _internal(service: Service, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.api), base_url="http://access") as client:
        return await client.get("/internal/audit", params=params)


@pytest.mark.parametrize(("params", "code", "says"), [
    ({"org_id": "o-acme", "cursor": "%%%"}, "invalid_cursor", "start again from the first page"),
    ({"org_id": "o-acme", "since": "2025-03-02T00:00:00Z", "until": "2025-03-01T00:00:00Z"},
     "invalid_time_range", "since"),
    ({"org_id": "o-acme", "limit": "201"}, "invalid_input", "limit"),
    ({"org_id": "o-acme", "since": "2025-03-01T00:00:00"}, "invalid_input", "timezone"),
    ({"agent": "u-agent"}, "invalid_input", "org_id"),
    ({"partner_id": ""}, "invalid_input", "partner_id"),
])
async def test_a_query_the_log_cannot_answer_is_refused_with_a_reason(
        service: Service, params: dict[str, str], code: str, says: str) -> None:
    response = await _internal(service, **params)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert says in response.json()["error"]["message"]
