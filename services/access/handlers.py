"""Access's use-cases: a customer grants its partner read-only access, revokes it; anyone reads where it stands."""

from __future__ import annotations

from datetime import datetime

from contracts.access import AccessGranted, AccessRevoked
from contracts.identity import OrgUpserted
from runtime.logs import current_correlation_id
from runtime.times import utc_now
from runtime.versioned import Decision
from services.access import domain
from services.access.domain import AccessStatus, Grant
from services.access.store import GrantStore


async def grant_access(org_id: str, partner_id: str, granted_by: str, expires_at: datetime | None,
                       store: GrantStore, now: datetime | None = None) -> AccessStatus:
    """Give `partner_id`, the partner managing the org now, read-only access until `expires_at` (None: until
    revoked). Granting what already stands changes nothing and announces nothing."""
    at = now or utc_now()

    def decide(current: Grant | None) -> Decision[Grant]:
        grant = domain.granted(current, org_id, partner_id, granted_by, expires_at, at)
        if grant is None:
            return None
        return grant, [AccessGranted(org_id=org_id, granted_by=granted_by, expires_at=expires_at,
                                     partner_id=partner_id, correlation_id=current_correlation_id())]

    return domain.status((await store.change(org_id, decide)).record, at)


async def revoke_access(org_id: str, revoked_by: str, store: GrantStore, now: datetime | None = None) -> bool:
    """End the org's grant; False when none was active (revoked, expired or never given), which changes nothing."""
    at = now or utc_now()

    def decide(current: Grant | None) -> Decision[Grant]:
        return _announced_revocation(org_id, domain.revoked(current, revoked_by, at))

    return (await store.change(org_id, decide)).changed


def _announced_revocation(org_id: str, grant: Grant | None) -> Decision[Grant]:
    """A grant just revoked, with the event that says so; nothing when there was nothing to revoke."""
    if grant is None or grant.revoked_by is None:
        return None
    return grant, [AccessRevoked(org_id=org_id, revoked_by=grant.revoked_by, partner_id=grant.partner_id,
                                 correlation_id=current_correlation_id())]

async def follow_customer(event: OrgUpserted, store: GrantStore, now: datetime | None = None) -> bool:
    """End the org's grant when the customer is no longer managed by the partner it was given to (moved to
    another, or deleted); True when that changed it. Repeats and unrelated changes change nothing."""
    at = now or utc_now()
    org = event.org
    partner_id = None if org.deleted else org.partner_id

    def decide(current: Grant | None) -> Decision[Grant]:
        return _announced_revocation(org.id, domain.left(current, partner_id, event.occurred_at, at))

    return (await store.change(org.id, decide)).changed


async def read_access(org_id: str, store: GrantStore, partner_id: str | None = None,
                      now: datetime | None = None) -> AccessStatus:
    """Whether the org grants access now, to `partner_id` if given; a grant past its expiry reads as none."""
    return domain.status(await store.get(org_id), now or utc_now(), partner_id)
