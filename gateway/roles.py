"""Who holds which partner role now: a projection of identity's RoleAssigned / RoleRevoked events.

Every gateway replica reads the whole `identity.roles` topic from the beginning (a replay subscription), so each
one knows every assignment and refuses a revoked agent as soon as the revocation reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from contracts import Event
from contracts.identity import RoleAssigned, RoleRevoked
from helpdesk.runtime.bus import Subscription

# The roles identity announces on identity.roles; for these the projection, not the token, is the authority.
PARTNER_ROLES = frozenset({"helpdesk", "helpdesk_advanced", "partner_admin"})


@dataclass
class _Holder:
    partner_id: str = ""
    org_id: str = ""
    # (role) -> (held, when the latest event about it happened): events are applied monotonically by time.
    roles: dict[str, tuple[bool, datetime]] = field(default_factory=dict)


class RoleProjection:
    def __init__(self) -> None:
        self._holders: dict[str, _Holder] = {}

    def roles_of(self, user_id: str) -> frozenset[str]:
        holder = self._holders.get(user_id)
        if holder is None:
            return frozenset()
        return frozenset(role for role, (held, _) in holder.roles.items() if held)

    def partner_of(self, user_id: str) -> str | None:
        holder = self._holders.get(user_id)
        return holder.partner_id if holder is not None and holder.partner_id else None

    async def apply(self, event: Event) -> None:
        if not isinstance(event, RoleAssigned | RoleRevoked) or event.role not in PARTNER_ROLES:
            return
        holder = self._holders.setdefault(event.user_id, _Holder())
        latest = holder.roles.get(event.role)
        if latest is not None and event.occurred_at < latest[1]:
            return  # an older event delivered again: the newer one already decided
        holder.roles[event.role] = (isinstance(event, RoleAssigned), event.occurred_at)
        holder.partner_id, holder.org_id = event.partner_id or holder.partner_id, event.org_id

    def subscription(self) -> Subscription:
        return Subscription("gateway.roles", (RoleAssigned.TOPIC,), self.apply, replay=True)
