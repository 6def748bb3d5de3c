"""The audit log's storage: one write-once document per event id, found by customer org or by partner."""

from __future__ import annotations

import logging

from runtime.versioned import VersionedStore
from services.access.audit import AuditEntry

log = logging.getLogger(__name__)

READ_AT_MOST = 10_000
"""Entries read for one query. The documents offer equality lookups only, without a sort or a range, so an org's or
a partner's entries are read whole and ordered here; past this many the oldest ones read would hide newer ones."""


class AuditStore(VersionedStore[AuditEntry]):
    """Entries keyed by the id of the event they come from, indexed by org and partner; the same code over memory
    or MongoDB documents. Nothing here changes or removes an entry."""

    model = AuditEntry
    collection = "audit"
    indexes = ("org_id", "partner_id")

    async def of(self, org_id: str | None, partner_id: str | None, action: str | None) -> list[AuditEntry]:
        """The entries of a partner (in one org, if given), or of an org; of one action, if given."""
        where = {field: value for field, value in (("partner_id", partner_id), ("org_id", org_id),
                                                   ("action", action)) if value is not None}
        found = await self.documents.find(where, limit=READ_AT_MOST)
        if len(found) == READ_AT_MOST:
            log.warning("audit log read in part", extra={"org_id": org_id, "partner_id": partner_id,
                                                         "read": READ_AT_MOST})
        return [self.model.model_validate(doc) for doc in found]
