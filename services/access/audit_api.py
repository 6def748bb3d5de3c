"""The audit log's internal HTTP API, called by the gateway for customers' and partners' admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runtime.web import Refusal, Refusals
from services.access import audit_log
from services.access.audit import AuditPage, AuditQuery, InvalidCursor, NoScope, TimeRangeReversed
from services.access.audit_store import AuditStore

REFUSALS: Refusals = {
    InvalidCursor: Refusal(422, "invalid_cursor", "This cursor is not one the audit log gave: start again from the "
                                                  "first page, without a cursor."),
    TimeRangeReversed: Refusal(422, "invalid_time_range", "`since` is after `until`: no entry can be in between. "
                                                          "Swap them."),
    NoScope: Refusal(422, "invalid_input", "Say whose audit log to read: an `org_id` or a `partner_id`."),
}


def router(store: AuditStore) -> APIRouter:
    api = APIRouter(prefix="/internal/audit")

    @api.get("", summary="What agents did in an org (`org_id`) or a partner's agents did (`partner_id`), newest "
                         "first.")
    async def read(query: Annotated[AuditQuery, Query()]) -> AuditPage:
        return await audit_log.read_audit(query, store)

    return api
