"""Email's storage: each address's delivery status, the verification codes and their tallies; each change with its
events."""

from __future__ import annotations

from runtime.versioned import VersionedStore
from services.email.codes import Tally, VerificationCode
from services.email.domain import AddressStatus


class AddressStore(VersionedStore[AddressStatus]):
    """Addresses keyed by `domain.address_key`; the same code over memory or MongoDB documents."""

    model = AddressStatus
    collection = "addresses"


class CodeStore(VersionedStore[VerificationCode]):
    """Verification codes keyed by their id, each with the keyed hash of its code, never the code."""

    model = VerificationCode
    collection = "codes"


class TallyStore(VersionedStore[Tally]):
    """Recent codes per user (`user:<id>`) and per agent (`agent:<id>`), and a user's recent wrong tries: kept
    here, not in one replica's memory, so the limits hold across replicas."""

    model = Tally
    collection = "tallies"
