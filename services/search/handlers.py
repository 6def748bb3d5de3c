"""Search's use-cases: index identity's events, answer a query for one partner."""

from __future__ import annotations

from typing import Any

from contracts import Event
from contracts.identity import DeviceUpserted, OrderPlaced, OrgUpserted, UserUpserted
from services.search import domain
from services.search.store import SearchStore


async def index(event: Event, store: SearchStore) -> bool:
    """Apply one of identity's events to the read model; a repeat or an older version changes nothing."""
    partner_id = event.partner_id or ""
    match event:
        case OrgUpserted(org=org) if org.deleted:
            return await store.apply(domain.tombstone("customer", org.id, org.id, org.partner_id, org.version))
        case OrgUpserted(org=org):
            await store.move_org(org.id, org.partner_id)
            return await store.apply(domain.customer_entry(org))
        case UserUpserted(user=user) if user.deleted:
            return await store.apply(domain.tombstone("user", user.id, user.org_id, partner_id, user.version))
        case UserUpserted(user=user):
            return await store.apply(domain.user_entry(user, partner_id))
        case DeviceUpserted(device=device) if device.deleted:
            return await store.apply(
                domain.tombstone("device", device.id, device.org_id, partner_id, device.version))
        case DeviceUpserted(device=device):
            return await store.apply(domain.device_entry(device, partner_id))
        case OrderPlaced(order=order) if order.deleted:
            return await store.apply(
                domain.tombstone("order", order.number, order.org_id, partner_id, order.version))
        case OrderPlaced(order=order):
            return await store.apply(domain.order_entry(order, partner_id))
    return False


async def search(text: str, partner_id: str, org_id: str | None, limit: int, store: SearchStore
                 ) -> dict[str, Any]:
    query = domain.read_query(text)
    entries = await store.find(query.terms, partner_id, org_id, limit)
    entries.sort(key=lambda e: (domain.rank(e, query), e.title.casefold(), e.entity_id))
    groups: dict[str, list[dict[str, Any]]] = {f"{kind}s": [] for kind in domain.KINDS}
    for entry in entries:
        group = groups[f"{entry.kind}s"]
        if len(group) < limit:
            field, value = domain.matched_field(entry, query)
            group.append({"id": entry.entity_id, "org_id": entry.org_id, "title": entry.title,
                          "subtitle": entry.subtitle, "matched": {"field": field, "value": value}})
    return {"q": text, "interpretations": [{"kind": query.kind, "value": " ".join(query.terms)}], **groups}
