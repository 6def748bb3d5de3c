"""Search's subscriptions: identity's state events feed the read model."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from contracts import Event
from contracts.identity import DeviceUpserted, OrderPlaced, OrgUpserted, UserUpserted
from runtime.bus import Subscription, subscribe
from services.search import handlers
from services.search.store import SearchStore

INDEXED = (OrgUpserted, UserUpserted, DeviceUpserted, OrderPlaced)
TOPICS = tuple(dict.fromkeys(kind.TOPIC for kind in INDEXED))


def subscriptions(store: SearchStore, *, replay: bool) -> list[Subscription]:
    """`replay`: the store is this replica's own, so it reads every partition from the beginning itself.
    Otherwise the replicas share the store and the group's partitions, and index a batch at a time."""
    index = partial(handlers.index, store=store)

    async def index_many(events: Sequence[Event]) -> None:
        await handlers.index_many(events, store)

    return [subscribe("search", dict.fromkeys(INDEXED, index), replay=replay,
                      handle_many=None if replay else index_many)]
