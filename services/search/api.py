"""Search's internal HTTP API, called by the gateway with the agent's partner already established."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from opensearchpy.exceptions import ConnectionError as SearchEngineUnreachable

from runtime.web import Refusal, Refusals
from services.search import handlers
from services.search.store import SearchStore

# The search engine unreachable or too slow (its timeouts are connection errors too).
REFUSALS: Refusals = {SearchEngineUnreachable: Refusal(
    503, "service_unavailable", "Search is unavailable right now; try again in a few seconds.",
    headers=lambda _: {"Retry-After": "5"})}


def router(store: SearchStore) -> APIRouter:
    api = APIRouter(prefix="/internal")

    @api.get("/search", summary="Customers, users, devices and orders of one partner matching a query.")
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=256)],
        partner_id: Annotated[str, Query(min_length=1)],
        org_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        return await handlers.search(q, partner_id, org_id, limit, store)

    return api
