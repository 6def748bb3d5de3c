"""Access's subscriptions: a customer that leaves its partner ends the grant it gave that partner."""

from __future__ import annotations

from functools import partial

from contracts.identity import OrgUpserted
from runtime.bus import Subscription, subscribe
from services.access import handlers
from services.access.store import GrantStore


def subscriptions(store: GrantStore) -> list[Subscription]:
    return [subscribe("access", {OrgUpserted: partial(handlers.follow_customer, store=store)})]
