"""Identity's subscriptions: none; it is the source of the help desk's data and learns of changes by import."""

from __future__ import annotations

from runtime.bus import Subscription
from services.identity.store import IdentityStore


def subscriptions(store: IdentityStore) -> list[Subscription]:
    return []
