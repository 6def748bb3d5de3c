"""The search read model: entries applied monotonically by version, found by terms within one partner."""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import asdict
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.search.domain import Entry


class SearchStore(Protocol):
    async def apply(self, entry: Entry) -> bool:
        """Keep the entry unless one of the same or a newer version is there; return whether it changed."""
        ...

    async def move_org(self, org_id: str, partner_id: str) -> None:
        """A customer changed managing partner: everything in it now belongs to the new one."""
        ...

    async def find(self, terms: tuple[str, ...], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        """Entries of this partner having every term, the last one possibly as a prefix."""
        ...

    async def count(self) -> int: ...


class MemorySearchStore:
    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._by_term: dict[str, set[str]] = defaultdict(set)
        self._sorted_terms: list[str] = []

    async def apply(self, entry: Entry) -> bool:
        current = self._entries.get(entry.key)
        if current is not None and current.version >= entry.version:
            return False
        if current is not None:
            for term in current.terms:
                self._by_term[term].discard(entry.key)
        self._entries[entry.key] = entry
        for term in entry.terms:
            if not self._by_term[term]:
                index = bisect.bisect_left(self._sorted_terms, term)
                if index == len(self._sorted_terms) or self._sorted_terms[index] != term:
                    self._sorted_terms.insert(index, term)
            self._by_term[term].add(entry.key)
        return True

    async def move_org(self, org_id: str, partner_id: str) -> None:
        for key, entry in list(self._entries.items()):
            if entry.org_id == org_id and entry.partner_id != partner_id:
                self._entries[key] = Entry(**{**asdict(entry), "partner_id": partner_id})

    async def find(self, terms: tuple[str, ...], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        if not terms:
            return []
        keys: set[str] | None = None
        for position, term in enumerate(terms):
            found = set(self._by_term.get(term, ()))
            if position == len(terms) - 1:
                found |= self._prefixed(term)
            keys = found if keys is None else keys & found
            if not keys:
                return []
        entries = (self._entries[k] for k in keys or ())
        matching = [e for e in entries if e.partner_id == partner_id and (org_id is None or e.org_id == org_id)]
        return matching[: limit * 4]

    def _prefixed(self, prefix: str) -> set[str]:
        keys: set[str] = set()
        start = bisect.bisect_left(self._sorted_terms, prefix)
        for term in self._sorted_terms[start:]:
            if not term.startswith(prefix):
                break
            keys |= self._by_term[term]
        return keys

    async def count(self) -> int:
        return len(self._entries)


def _from_doc(doc: dict[str, Any]) -> Entry:
    fields = {k: doc[k] for k in Entry.__dataclass_fields__ if k != "terms"}
    return Entry(terms=tuple(doc["terms"]), **fields)


class MongoSearchStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._entries = db["entries"]

    async def create_indexes(self) -> None:
        for field in ("terms", "partner_id", "org_id"):
            await self._entries.create_index([(field, ASCENDING)])

    async def apply(self, entry: Entry) -> bool:
        doc = {"_id": entry.key, **asdict(entry), "terms": list(entry.terms)}
        for _ in range(5):
            current = await self._entries.find_one({"_id": entry.key}, {"version": 1})
            if current is not None and current["version"] >= entry.version:
                return False
            if current is None:
                try:
                    await self._entries.insert_one(doc)
                    return True
                except DuplicateKeyError:
                    continue
            result = await self._entries.replace_one({"_id": entry.key, "version": current["version"]}, doc)
            if result.matched_count:
                return True
        return False

    async def move_org(self, org_id: str, partner_id: str) -> None:
        await self._entries.update_many({"org_id": org_id}, {"$set": {"partner_id": partner_id}})

    async def find(self, terms: tuple[str, ...], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        if not terms:
            return []
        *exact, last = terms
        conditions: list[dict[str, Any]] = [{"partner_id": partner_id}]
        if org_id is not None:
            conditions.append({"org_id": org_id})
        if exact:
            conditions.append({"terms": {"$all": exact}})
        conditions.append({"terms": {"$regex": "^" + re.escape(last)}})
        cursor = self._entries.find({"$and": conditions}).limit(limit * 4)
        return [_from_doc(doc) async for doc in cursor]

    async def count(self) -> int:
        return await self._entries.count_documents({})
