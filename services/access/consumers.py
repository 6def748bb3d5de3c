"""Access's subscriptions: a customer that leaves its partner ends the grant it gave that partner."""

from __future__ import annotations

from contracts import Event
from contracts.identity import OrgUpserted
from runtime.bus import Subscription
from services.access import handlers
from services.access.store import GrantStore


def subscriptions(store: GrantStore) -> list[Subscription]:
    async def on_customer(event: Event) -> None:
        if isinstance(event, OrgUpserted):
            await handlers.follow_customer(event, store)

    return [Subscription("access", (OrgUpserted.TOPIC,), on_customer)]
