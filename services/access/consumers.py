"""Access's subscriptions: a customer that leaves its partner ends the grant it gave that partner; what agents do
is kept in the audit log."""

from __future__ import annotations

from functools import partial

from contracts.access import ReadOnlySessionEnded
from contracts.gateway import AgentActionRecorded
from contracts.identity import OrgUpserted
from runtime.bus import Subscription, subscribe
from services.access import audit_log, handlers
from services.access.audit_store import AuditStore
from services.access.store import GrantStore


def subscriptions(store: GrantStore, audit: AuditStore) -> list[Subscription]:
    return [subscribe("access", {OrgUpserted: partial(handlers.follow_customer, store=store)}),
            # What agents did, kept once per event for the customers' and partners' admins to read: the gateway
            # records each action (a session's start with its reason among them); a session's end has no request
            # behind it, so it comes from the access service's own announcement.
            # Where the bus reads a batch at a time (Kafka), a batch's entries are kept in one write.
            subscribe("access.audit", {AgentActionRecorded: partial(audit_log.record_action, store=audit),
                                       ReadOnlySessionEnded: partial(audit_log.record_session_ended, store=audit)},
                      handle_many=partial(audit_log.record_many, store=audit))]
