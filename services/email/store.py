"""Email's storage: the delivery status of each address, keyed case-insensitively, each change with its events."""

from __future__ import annotations

from runtime.versioned import VersionedStore
from services.email.domain import AddressStatus


class AddressStore(VersionedStore[AddressStatus]):
    """Addresses keyed by `domain.address_key`; the same code over memory or MongoDB documents."""

    model = AddressStatus
    collection = "addresses"
