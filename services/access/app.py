"""The access service's composition root: its store, outbox relay, HTTP API and subscriptions; connects nothing."""

from __future__ import annotations

from runtime.outbox import OutboxRelay
from runtime.service import Infrastructure, Service
from runtime.web import Refusal, Refusals, create_app
from services.access import api, audit_api, consumers, demo, read_only, request_api
from services.access.audit_store import AuditStore
from services.access.config import AccessSettings
from services.access.domain import ExpiryInPast
from services.access.read_only import ReadOnlyParts
from services.access.request_store import AdminSessionStore, RequestStore
from services.access.session_store import SessionStore
from services.access.store import GrantStore

REFUSALS: Refusals = {
    ExpiryInPast: Refusal(422, "expiry_in_past", "The grant would already have expired: choose a time in the "
                                                 "future, or none to grant access until it is revoked."),
    **audit_api.REFUSALS,
    **request_api.REFUSALS,
    **read_only.REFUSALS,
}


def build(settings: AccessSettings, infrastructure: Infrastructure) -> Service:
    store = GrantStore.kept_by(infrastructure.documents)
    requests = RequestStore.kept_by(infrastructure.documents)
    sessions = AdminSessionStore.kept_by(infrastructure.documents)
    read_only_parts = ReadOnlyParts(store, SessionStore.kept_by(infrastructure.documents))
    relay = OutboxRelay([store.documents, requests.documents, read_only_parts.sessions.documents],
                        infrastructure.bus)
    app = create_app("Help Desk access service", infrastructure.checks, REFUSALS)
    app.include_router(api.router(store, relay))
    app.include_router(read_only_parts.router(relay))
    app.include_router(request_api.router(requests, sessions, relay))
    audit = AuditStore.kept_by(infrastructure.documents)
    app.include_router(audit_api.router(audit))

    async def seed() -> None:
        if settings.seed == "demo":
            await demo.seed(store)

    return Service("access", app,
                   subscriptions=[*consumers.subscriptions(store, audit), *read_only_parts.subscriptions()],
                   relay=relay, unreachable=infrastructure.unreachable,
                   on_start=[store.create_indexes, audit.create_indexes, requests.create_indexes,
                             sessions.create_indexes, seed, read_only_parts.start],
                   on_stop=[read_only_parts.stop])
