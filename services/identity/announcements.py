"""The events that tell the world about a change of an entity: the whole entity, and a user's role changes."""

from __future__ import annotations

from contracts import Event
from contracts.identity import (
    Device,
    DeviceUpserted,
    Order,
    OrderPlaced,
    Org,
    OrgUpserted,
    Partner,
    PartnerUpserted,
    RoleAssigned,
    RoleRevoked,
    User,
    UserUpserted,
)
from runtime.logs import correlation_id
from services.identity import domain
from services.identity.domain import Entity


def of_change(old: Entity | None, new: Entity, org: Org | None, old_org: Org | None) -> list[Event]:
    """What announces `new`, which was `old`: `org` is the org a user, device or order belongs to now, `old_org`
    the org an existing user was in before, as it was then."""
    cid = correlation_id.get()
    match new:
        case Partner():
            return [PartnerUpserted(partner=new, partner_id=new.id, correlation_id=cid)]
        case Org():
            return [OrgUpserted(org=new, partner_id=new.partner_id, correlation_id=cid)]
    assert org is not None
    match new:
        case User():
            return _user_events(old if isinstance(old, User) else None, old_org, new, org, cid)
        case Device():
            return [DeviceUpserted(device=new, partner_id=org.partner_id, correlation_id=cid)]
        case Order():
            return [OrderPlaced(order=new, partner_id=org.partner_id, correlation_id=cid)]
    raise TypeError(type(new))


def _user_events(old: User | None, old_org: Org | None, new: User, org: Org, cid: str) -> list[Event]:
    """The user's state, then its role changes. A role is held for one org and its partner: a user who moves to
    another org, or whose org moves to another partner, loses every role held there (RoleRevoked for the old
    partner) and holds what fits the new org anew (RoleAssigned for the new one)."""
    before, after = domain.held_roles(old, old_org), domain.held_roles(new, org)
    moved = old_org is None or (old is not None and old.org_id != new.org_id) or old_org.partner_id != org.partner_id
    revoked, assigned = (before, after) if moved else (before - after, after - before)
    state = {"roles": tuple(sorted(after)), "user_org_id": new.org_id, "user_partner_id": org.partner_id,
             "user_version": new.version, "correlation_id": cid}
    gained: list[Event] = [RoleAssigned(user_id=new.id, org_id=new.org_id, role=r, partner_id=org.partner_id,
                                        **state) for r in sorted(assigned)]
    lost: list[Event] = []
    if revoked:
        assert old is not None
        assert old_org is not None
        lost = [RoleRevoked(user_id=new.id, org_id=old.org_id, role=r, partner_id=old_org.partner_id, **state)
                for r in sorted(revoked)]
    # In one org, what is gained comes first, so one following role by role never sees a moment without either
    # level of a changed role; after a move, the old org's roles end before the new org's begin.
    changes = lost + gained if moved else gained + lost
    return [UserUpserted(user=new, partner_id=org.partner_id, correlation_id=cid), *changes]
