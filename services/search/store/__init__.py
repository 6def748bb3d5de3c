"""The search read model: entries applied monotonically by version, found by clauses within one partner.

The customer's own entry is the authority on which partner manages it: a user, device or order goes to the
partner that manages its customer now, whatever partner its event named, and moves with the customer.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from services.search.domain import Entry
from services.search.query import Clause
from services.search.store.memory import MemorySearchStore
from services.search.store.opensearch import OpenSearchSearchStore

__all__ = ["MemorySearchStore", "OpenSearchSearchStore", "SearchStore"]


class SearchStore(Protocol):
    async def apply(self, entry: Entry) -> bool:
        """Keep the entry unless one of the same or a newer version is there; return whether it changed.

        A customer's entry naming another partner moves everything in that customer to it.
        """
        ...

    async def apply_many(self, entries: Sequence[Entry]) -> int:
        """Apply a batch, as a rebuild reads it; return how many entries changed."""
        ...

    async def find(self, clauses: Sequence[Clause], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        """Live entries of customers this partner manages (of `org_id` only, if given) satisfying every clause.

        At most `limit` of each kind; when more match, the first by title.
        """
        ...

    async def countries(self, partner_id: str, org_id: str | None) -> frozenset[str]:
        """The countries of the customers in scope: where their national phone numbers are read."""
        ...

    async def org_names(self, org_ids: Collection[str], partner_id: str) -> dict[str, str]:
        """The name of each of these customers that this partner manages now, by id; others are absent."""
        ...

    async def count(self) -> int:
        """Entries kept, tombstones included."""
        ...
