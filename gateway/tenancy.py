"""Tenant isolation: an agent sees only what belongs to a customer their partner manages.

What is not theirs is answered exactly like what does not exist (same status, same body, same work, hence the
same time), so the answer never tells another partner's customers apart from unknown ids.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import quote

from gateway.auth import Principal
from gateway.clients import ServiceClient
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


async def managed(kind: str, view: Awaitable[Any], agent: Principal) -> dict[str, Any]:
    """The view when the agent's partner manages its customer; else the same 404 as for an unknown id."""
    try:
        found = await view
    except ApiError as error:
        if error.status == 404:
            raise not_found(kind) from None
        raise
    if not isinstance(found, dict) or not agent.partner_id or found.get("partner_id") != agent.partner_id:
        raise not_found(kind)
    return found


async def identity_view(identity: ServiceClient, kind: str, entity_id: str, agent: Principal) -> dict[str, Any]:
    """Identity's view of one customer, user, device or order, if the agent may see it.

    Identity decides for the agent's partner before it assembles anything, with the same reads for an unknown id
    as for another partner's, so the time of the answer tells them apart no more than its body; `managed` checks
    the view's `partner_id` once more.
    """
    if len(entity_id) > MAX_ID_LENGTH:
        raise not_found(kind)
    path = f"/internal/{kind}s/{quote(entity_id, safe='')}"
    return await managed(kind, identity.get(path, partner_id=agent.partner_id), agent)
