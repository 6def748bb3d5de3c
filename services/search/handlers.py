"""Search's use-cases: index identity's events, answer the search bar for one partner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts import Event
from services.search import domain, query
from services.search.results import Results
from services.search.store import SearchStore


async def index(event: Event, store: SearchStore) -> bool:
    """Apply one of identity's events to the read model; a repeat or an older version changes nothing."""
    entry = domain.entry_for(event)
    return await store.apply(entry) if entry is not None else False


async def index_many(events: Sequence[Event], store: SearchStore) -> int:
    """Apply a batch of events, as a rebuild reads them; return how many entries changed."""
    return await store.apply_many([e for e in map(domain.entry_for, events) if e is not None])


async def search(text: str, partner_id: str, org_id: str | None, limit: int, store: SearchStore
                 ) -> dict[str, Any]:
    """Customers, users, devices and orders of this partner's customers matching the query, best first.

    Identifiers answer alone when they find something; otherwise the query is read as words. Each hit names its
    customer, looked up once for all the hits shown.
    """
    countries = await store.countries(partner_id, org_id) if query.looks_like_phone(text) else frozenset()
    reading = query.read(text, sorted(countries))
    results = Results(limit)
    for plan in reading.identifier_plans:
        results.add(plan, await _find(plan, partner_id, org_id, limit, store))
    if not results.hits:
        for plan in reading.word_plans:
            if results.full():
                break
            results.add(plan, await _find(plan, partner_id, org_id, limit, store))
    org_names = await store.org_names(results.member_org_ids(), partner_id)
    return results.response(reading, org_names)


async def _find(plan: query.Plan, partner_id: str, org_id: str | None, limit: int, store: SearchStore
                ) -> list[domain.Entry]:
    found = await store.find(plan.clauses, partner_id, org_id, limit)
    # Scope is the store's job; checking it again costs nothing and a leak here is the worst bug there is.
    return [e for e in found if e.partner_id == partner_id and (org_id is None or e.org_id == org_id)]
