"""Email's subscriptions: none yet; delivery reports and suppression changes come through its internal API."""

from __future__ import annotations

from runtime.bus import Subscription
from services.email.store import AddressStore


def subscriptions(store: AddressStore) -> list[Subscription]:
    return []
