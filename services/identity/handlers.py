"""Identity's use-cases besides the import: who signs in with an address, who manages a customer, and a partner
admin's Help Desk agents, whose changes are saved like any other user change and so leave through the outbox as
RoleAssigned / RoleRevoked."""

from __future__ import annotations

from contracts.identity import Org, User
from services.identity import announcements, domain
from services.identity.domain import CustomerNotFound, Level, NotTheirs, PartnerChanged
from services.identity.store import Decision, IdentityStore


async def user_by_email(email: str, store: IdentityStore) -> tuple[User, str] | None:
    """A user and the partner that manages their org, for logging in."""
    user = await store.user_by_email(email)
    if user is None or user.deleted:
        return None
    org = await store.get(Org, user.org_id)
    return (user, org.partner_id) if org is not None else None


async def managing_partner(org_id: str, store: IdentityStore, seen_partner_id: str | None = None) -> str:
    """The partner that manages a customer now; PartnerChanged when someone who saw `seen_partner_id` manage it
    would act on a partner they did not see."""
    org = await store.get(Org, org_id)
    if org is None or org.deleted:
        raise CustomerNotFound(org_id)
    if seen_partner_id and seen_partner_id != org.partner_id:
        raise PartnerChanged(org_id)
    return org.partner_id


async def helpdesk_agents(partner_id: str, store: IdentityStore) -> list[User]:
    """The partner's own people who hold the Help Desk role, by name."""
    staff = await store.find(User, {"org_id": partner_id}, limit=10**6)
    return sorted((u for u in staff if domain.helpdesk_level(u) is not None), key=lambda u: u.display_name.casefold())


async def set_helpdesk_level(partner_id: str, user_id: str, level: Level | None, store: IdentityStore) -> User:
    """Give one of the partner's own people the Help Desk role at `level`, or take it away with None; return the
    user as saved. NotTheirs for anyone else; runtime.versioned.Busy when the user keeps changing meanwhile."""
    # The same two reads, and nothing validated, before the decision: another partner's user is refused in the time
    # an unknown id is.
    person = await store.document(User, user_id)
    staff_org = await store.document(Org, partner_id)
    if staff_org is None or not domain.is_own_person(partner_id, person, staff_org):
        raise NotTheirs(user_id)
    org = Org.model_validate(staff_org)

    async def decide(current: User | None) -> Decision[User]:
        if current is None or not domain.is_own_person(partner_id, dict(current), staff_org):
            raise NotTheirs(user_id)  # moved or deleted since it was read
        changed = domain.at_helpdesk_level(current, level)
        return None if changed is None else (changed, announcements.of_change(current, changed, org, org))

    user = (await store.change(User, user_id, decide)).record
    assert user is not None
    return user
