"""Search's subscriptions: identity's state events feed the read model."""

from __future__ import annotations

from contracts import Event
from contracts.identity import DeviceUpserted, OrderPlaced, OrgUpserted, UserUpserted
from runtime.bus import Subscription
from services.search import handlers
from services.search.store import SearchStore

TOPICS = tuple(dict.fromkeys(e.TOPIC for e in (OrgUpserted, UserUpserted, DeviceUpserted, OrderPlaced)))


def subscriptions(store: SearchStore, *, replay: bool) -> list[Subscription]:
    """`replay`: the store is this replica's own, so it reads every partition from the beginning itself."""

    async def on_identity_event(event: Event) -> None:
        await handlers.index(event, store)

    return [Subscription("search", TOPICS, on_identity_event, replay=replay)]
