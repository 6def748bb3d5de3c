"""Tenant isolation: an agent sees only what belongs to a customer their partner manages.

What is not theirs is answered exactly like what does not exist (same status, same body, same work, hence the
same time), so the answer never tells another partner's customers apart from unknown ids. A customer admin, for
their part, grants access only to the partner that manages their organisation now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from gateway.auth import Principal
from gateway.clients.base import found_or
from gateway.clients.identity import IdentityClient, View
from runtime.web import ApiError

# No id is longer (identity refuses longer ones at import): a longer one is unknown without asking identity.
MAX_ID_LENGTH = 256
_NOT_FOUND = {
    "customer": "No customer with this id among the customers you manage.",
    "user": "No user with this id among the customers you manage.",
    "device": "No device with this id among the customers you manage.",
    "order": "No order with this number among the customers you manage.",
}


def not_found(kind: str) -> ApiError:
    return ApiError(404, f"{kind}_not_found", _NOT_FOUND[kind])


async def identity_view(kind: str, view_of: Callable[[str, str], Awaitable[View]], entity_id: str,
                        agent: Principal) -> dict[str, Any]:
    """Identity's view of one customer, user, device or order (`view_of`, an IdentityClient method), if the agent
    may see it; else the same 404 as for an unknown id.

    Identity decides for the agent's partner before it assembles anything, with the same reads for an unknown id
    as for another partner's, so the time of the answer tells them apart no more than its body; the view's
    `partner_id` is checked here once more.
    """
    if len(entity_id) > MAX_ID_LENGTH:
        raise not_found(kind)
    found = await found_or(not_found(kind), view_of(entity_id, agent.partner_id))
    if not isinstance(found, dict) or not agent.partner_id or found.get("partner_id") != agent.partner_id:
        raise not_found(kind)
    return found


async def partner_now(identity: IdentityClient, admin: Principal, seen: bool = False) -> str:
    """The partner managing the admin's organisation now, as identity knows it (a sign-in need not name it). With
    `seen`, identity refuses (409 partner_changed) when the sign-in named another: a grant goes to the partner
    the admin saw, or the admin signs in again."""
    seen_partner_id = admin.token_partner_id if seen else None
    return await found_or(ApiError(404, "customer_not_found", "Your organisation is not known to the help desk."),
                          identity.managing_partner(admin.org_id, seen_partner_id))
