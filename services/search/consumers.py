"""Search's subscriptions: identity's state events feed the read model."""

from __future__ import annotations

from functools import partial

from contracts.identity import DeviceUpserted, OrderPlaced, OrgUpserted, UserUpserted
from runtime.bus import Subscription, subscribe
from services.search import handlers
from services.search.store import SearchStore

INDEXED = (OrgUpserted, UserUpserted, DeviceUpserted, OrderPlaced)
TOPICS = tuple(dict.fromkeys(kind.TOPIC for kind in INDEXED))


def subscriptions(store: SearchStore, *, replay: bool) -> list[Subscription]:
    """`replay`: the store is this replica's own, so it reads every partition from the beginning itself."""
    index = partial(handlers.index, store=store)
    return [subscribe("search", dict.fromkeys(INDEXED, index), replay=replay)]
