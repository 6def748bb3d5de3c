"""A partner admin's Help Desk role management: give, change and take the role of the partner's own people.

Each change is saved like any other user change, so it leaves through the outbox as RoleAssigned / RoleRevoked.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from contracts.identity import Org, User
from runtime.outbox import OutboxRelay
from runtime.web import ApiError
from services.identity.handlers import _save
from services.identity.store import IdentityStore

Level = Literal["basic", "advanced"]
HELPDESK_ROLES = {"basic": "helpdesk", "advanced": "helpdesk_advanced"}


class NotTheirs(LookupError):
    """No such user among the partner's own people (unknown, deleted, or someone else's)."""


class Busy(RuntimeError):
    """The user kept changing under us."""


def _level(user: User) -> Level | None:
    if "helpdesk_advanced" in user.roles:
        return "advanced"
    return "basic" if "helpdesk" in user.roles else None


def agent_entry(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "name": user.display_name, "email": user.email, "level": _level(user)}


async def helpdesk_agents(partner_id: str, store: IdentityStore) -> list[User]:
    """The partner's own people who hold the Help Desk role, by name."""
    staff = await store.find(User, {"org_id": partner_id}, limit=10**6)
    return sorted((u for u in staff if _level(u) is not None), key=lambda u: u.display_name.casefold())


async def set_helpdesk_level(partner_id: str, user_id: str, level: Level | None, store: IdentityStore) -> User:
    """Give the user the Help Desk role at `level`, or take it away with None; return the user as saved."""
    for _ in range(5):
        user, org = await _own_person(partner_id, user_id, store)
        kept = tuple(r for r in user.roles if r not in HELPDESK_ROLES.values())
        roles = kept + ((HELPDESK_ROLES[level],) if level else ())
        if set(roles) == set(user.roles):
            return user
        changed = user.model_copy(update={"roles": roles, "version": user.version + 1})
        if await _save(store, user, changed, org):
            return changed
    raise Busy(user_id)


async def _own_person(partner_id: str, user_id: str, store: IdentityStore) -> tuple[User, Org]:
    # A partner's own staff belong to the org whose id is the partner's id. The same two reads, and nothing
    # validated, before the decision: another partner's user is refused in the time an unknown id is.
    user = await store.document(User, user_id)
    org = await store.document(Org, partner_id)
    if user is None or user.get("deleted") or org is None or org.get("deleted") \
            or user.get("org_id") != partner_id or org.get("partner_id") != partner_id:
        raise NotTheirs(user_id)
    return User.model_validate(user), Org.model_validate(org)


class LevelBody(BaseModel):
    level: Level = "basic"


def router(store: IdentityStore, relay: OutboxRelay) -> APIRouter:
    api = APIRouter(prefix="/partners/{partner_id}/helpdesk-agents")

    async def change(partner_id: str, user_id: str, level: Level | None) -> User:
        try:
            user = await set_helpdesk_level(partner_id, user_id, level, store)
        except NotTheirs:
            raise ApiError(404, "user_not_found", "No such user among the partner's own people.") from None
        except Busy:
            raise ApiError(409, "conflict", "This user is being changed by someone else. Please try again.") from None
        relay.kick()
        return user

    @api.get("", summary="The partner's people holding the Help Desk role.")
    async def list_agents(partner_id: str) -> list[dict[str, Any]]:
        return [agent_entry(u) for u in await helpdesk_agents(partner_id, store)]

    @api.put("/{user_id}", summary="Give one of the partner's people the Help Desk role at a level.")
    async def assign(partner_id: str, user_id: str, body: LevelBody) -> dict[str, Any]:
        return agent_entry(await change(partner_id, user_id, body.level))

    @api.delete("/{user_id}", status_code=204, response_class=Response,
                summary="Take the Help Desk role from one of the partner's people.")
    async def revoke(partner_id: str, user_id: str) -> Response:
        await change(partner_id, user_id, None)
        return Response(status_code=204)

    return api
