"""The audit log's use-cases: keep what agents did as entries, once each, and read them back page by page.

Entries come from the gateway's AgentActionRecorded (every action an agent takes through it, requests for admin
access included) and from this service's own read-only session events: a session's start is announced in the same
write that opens it, and its end (revoked, expired, role lost) happens without the agent doing anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.access import ReadOnlySessionEnded
from contracts.gateway import AgentActionRecorded
from runtime.versioned import Decision
from services.access import audit
from services.access.audit import AuditEntry, AuditPage, AuditQuery
from services.access.audit_store import AuditStore


async def keep(entry: AuditEntry, store: AuditStore) -> bool:
    """Add the entry unless its event's entry is there already (a redelivery); True when it was added. An entry
    once kept is never changed: a later event with the same id adds nothing."""

    def decide(current: AuditEntry | None) -> Decision[AuditEntry]:
        return None if current is not None else (entry, [])

    return (await store.change(entry.event_id, decide)).changed


async def keep_many(entries: Sequence[AuditEntry], store: AuditStore) -> int:
    """Add the entries whose events have none yet, in one write; answer how many were added. What `keep` does for
    one entry, for a batch of events read together (a redelivered batch adds nothing)."""
    return await store.add_new([(entry.event_id, entry) for entry in entries])


async def record_action(event: AgentActionRecorded, store: AuditStore) -> bool:
    """What the gateway recorded an agent doing: a search, a view, a code, a suppression, a session, a change."""
    return await keep(action_entry(event), store)


async def record_session_ended(event: ReadOnlySessionEnded, store: AuditStore) -> bool:
    """An agent's read-only session ended: the grant was revoked or expired, the agent lost the role, or its time
    was up (the entry's reason says which)."""
    return await keep(session_ended_entry(event), store)


async def record_many(events: Sequence[AgentActionRecorded | ReadOnlySessionEnded], store: AuditStore) -> int:
    """A batch of the events above, as a consumer reads them, kept in one write."""
    return await keep_many([action_entry(event) if isinstance(event, AgentActionRecorded)
                            else session_ended_entry(event) for event in events], store)


def action_entry(event: AgentActionRecorded) -> AuditEntry:
    return AuditEntry(
        event_id=event.event_id, at=event.occurred_at, agent_id=event.agent_id, agent_email=event.agent_email,
        action=event.action, target_type=event.target_type, target_id=event.target_id, reason=event.reason,
        correlation_id=event.correlation_id, org_id=event.org_id, partner_id=event.partner_id)


def session_ended_entry(event: ReadOnlySessionEnded) -> AuditEntry:
    return AuditEntry(
        event_id=event.event_id, at=event.occurred_at, agent_id=event.agent_id, action="read_only_session.ended",
        target_type="read_only_session", target_id=event.session_id, reason=event.why,
        correlation_id=event.correlation_id, org_id=event.org_id, partner_id=event.partner_id)


async def read_audit(query: AuditQuery, store: AuditStore) -> AuditPage:
    """One page of an org's or a partner's entries, newest first, as the query filters them."""
    audit.checked(query)
    return audit.page(await store.of(query.org_id, query.partner_id, query.action), query)
