"""The demo's grants: Acme's admin has given its partner read-only access; Bistro and Globex have not."""

from __future__ import annotations

from dataclasses import dataclass

from services.access import handlers
from services.access.store import GrantStore


@dataclass(frozen=True)
class DemoGrant:
    org_id: str
    partner_id: str
    granted_by: str


GRANTS = (DemoGrant("o-acme", "p-northwind", "u-cadmin"),)


async def seed(store: GrantStore) -> None:
    """Give the demo's grants where the customer has never decided anything, through the grant use-case.

    A customer that revoked its grant keeps it revoked through any restart: a seed never gives access back.
    """
    for grant in GRANTS:
        if await store.get(grant.org_id) is None:
            await handlers.grant_access(grant.org_id, grant.partner_id, grant.granted_by, None, store)
