"""Access's storage: one versioned grant per customer org, each change carrying its events."""

from __future__ import annotations

from runtime.versioned import VersionedStore
from services.access.domain import Grant


class GrantStore(VersionedStore[Grant]):
    """Grants keyed by org id; the same code over memory or MongoDB documents."""

    model = Grant
    collection = "grants"
    indexes = ("expiry_pending",)  # the grants the timer watches (grant_expiry.py)
