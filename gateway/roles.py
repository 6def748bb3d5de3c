"""Who holds which role now, in which org and for which partner: a projection of identity's role events.

Every gateway replica reads the whole `identity.roles` topic from the beginning (a replay subscription), so each
one knows every role of every person and refuses a removed role, a deleted user or a user moved to another org
as soon as identity's announcement reaches it, whatever their token still says.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import Event
from contracts.identity import RoleAssigned, RoleRevoked
from runtime.bus import Subscription, subscribe


@dataclass(frozen=True)
class Standing:
    """What identity says of a person now: the roles they hold, in their org, for that org's partner."""

    roles: frozenset[str]
    org_id: str
    partner_id: str


_NOBODY = Standing(frozenset(), "", "")


class RoleProjection:
    def __init__(self) -> None:
        # user id -> (the user's version the standing was announced at, the standing)
        self._holders: dict[str, tuple[int, Standing]] = {}

    def standing(self, user_id: str) -> Standing:
        """The person's roles, org and partner now; no roles at all for someone identity never gave one."""
        held = self._holders.get(user_id)
        return held[1] if held is not None else _NOBODY

    def roles_of(self, user_id: str) -> frozenset[str]:
        return self.standing(user_id).roles

    async def apply(self, event: Event) -> None:
        # An announcement that does not carry the user's whole state (none are made any more) cannot say what
        # the user holds now: it grants nothing.
        if not isinstance(event, RoleAssigned | RoleRevoked) or event.roles is None or event.user_version is None:
            return
        held = self._holders.get(event.user_id)
        if held is not None and event.user_version < held[0]:
            return  # an older state delivered again: the newer one already decided
        standing = Standing(frozenset(event.roles), event.user_org_id or event.org_id,
                            event.user_partner_id or event.partner_id or "")
        self._holders[event.user_id] = (event.user_version, standing)

    def subscription(self) -> Subscription:
        return subscribe("gateway.roles", {RoleAssigned: self.apply, RoleRevoked: self.apply}, replay=True)
