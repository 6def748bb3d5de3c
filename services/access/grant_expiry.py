"""Grants that end on time: at its `expires_at` a grant is marked expired and AccessExpired announced, once.

Readers already treat a grant past its time as none (domain.Grant.active); this makes the end an event that others
act on (read-only sessions end with it) when nobody happens to read the grant. Several replicas may find the same
grant due: the mark is a versioned change whose decision announces only a grant still active until now and past
its time, so the second replica's decision changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from contracts.access import AccessExpired
from runtime.logs import current_correlation_id
from runtime.times import utc_now
from runtime.versioned import Decision
from services.access.domain import Grant
from services.access.store import GrantStore

MOST_GRANTS = 1_000_000
"""More grants than customers: a scan of the grants to watch reads them all."""


def expired(current: Grant | None, now: datetime) -> Grant | None:
    """The grant marked expired at `now`; None unless it is unrevoked, unmarked and past its `expires_at`."""
    if current is None or not current.expiry_pending or current.expires_at is None or now < current.expires_at:
        return None
    return current.model_copy(update={"expired_at": now})


async def expire(org_id: str, store: GrantStore, now: datetime | None = None) -> bool:
    """Mark the org's grant expired if its time has come, with AccessExpired; False when that changed nothing."""
    at = now or utc_now()

    def decide(current: Grant | None) -> Decision[Grant]:
        grant = expired(current, at)
        if grant is None:
            return None
        return grant, [AccessExpired(org_id=grant.org_id, partner_id=grant.partner_id,
                                     correlation_id=current_correlation_id())]

    return (await store.change(org_id, decide)).changed


async def expire_due(store: GrantStore, now: datetime | None = None, everything: bool = False) -> datetime | None:
    """Expire every grant past its time; when the next one is due, if any. `everything` reads every grant rather
    than those marked as watched, for grants stored before the mark existed (done once, at start)."""
    at = now or utc_now()
    where = {} if everything else {"expiry_pending": True}
    upcoming: list[datetime] = []
    for doc in await store.documents.find(where, limit=MOST_GRANTS):
        grant = Grant.model_validate(doc)
        if not grant.expiry_pending or grant.expires_at is None:
            continue
        if at < grant.expires_at:
            upcoming.append(grant.expires_at)
        else:
            await expire(grant.org_id, store, at)
    return min(upcoming, default=None)
