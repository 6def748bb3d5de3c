"""The read model in one MongoDB collection that every replica shares: a document per entry, terms in an array.

Only what FerretDB 1.24 supports: single-document writes guarded by version, `$in`, anchored `$regex`, `distinct`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Collection, Sequence

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from runtime.documents import Doc
from services.search.domain import KINDS, Entry, is_word, latest
from services.search.query import Clause

_ATTEMPTS = 5


def _to_doc(entry: Entry) -> Doc:
    return {
        "_id": entry.key, "kind": entry.kind, "entity_id": entry.entity_id, "org_id": entry.org_id,
        "partner_id": entry.partner_id, "version": entry.version, "title": entry.title, "subtitle": entry.subtitle,
        "terms": list(entry.terms), "fields": [{"name": n, "value": v} for n, v in entry.fields],  # no nested arrays
        "country": entry.country,
        "deleted": entry.deleted, "sort": entry.title.casefold(),
    }


def _from_doc(doc: Doc) -> Entry:
    fields = tuple((f["name"], f["value"]) for f in doc["fields"])
    return Entry(doc["kind"], doc["entity_id"], doc["org_id"], doc["partner_id"], doc["version"], doc["title"],
                 doc["subtitle"], tuple(doc["terms"]), fields, doc["country"], doc["deleted"])


def _condition(clause: Clause) -> Doc:
    # A prefix matches words only: keys ("id:…") contain a colon and words never do.
    conditions: list[Doc] = [{"terms": {"$in": sorted(clause.exact)}}]
    if clause.prefix and is_word(clause.prefix):
        conditions.append({"terms": {"$regex": f"^{re.escape(clause.prefix)}[^:]*$"}})
    return conditions[0] if len(conditions) == 1 else {"$or": conditions}


class MongoSearchStore:
    def __init__(self, db: AsyncDatabase[Doc], collection: str = "entries") -> None:
        self._db = db
        self.collection = collection
        self._entries: AsyncCollection[Doc] = db[collection]

    async def scratch(self) -> MongoSearchStore:
        """An empty collection beside this one, to rebuild into."""
        name = f"{self.collection}_rebuild"
        await self._db.drop_collection(name)
        scratch = MongoSearchStore(self._db, name)
        await scratch.create_indexes()
        return scratch

    async def replace_with(self, scratch: MongoSearchStore) -> None:
        """Put a rebuilt collection in this one's place. FerretDB cannot rename over a collection, so the old one
        is dropped first: for that instant, queries find nothing."""
        await self._db.drop_collection(self.collection)
        await self._db.client.admin.command(
            "renameCollection", f"{self._db.name}.{scratch.collection}", to=f"{self._db.name}.{self.collection}")

    async def create_indexes(self) -> None:
        for keys in (["terms"], ["partner_id", "terms"], ["org_id"]):
            await self._entries.create_index([(k, ASCENDING) for k in keys])

    async def apply(self, entry: Entry) -> bool:
        if entry.kind != "customer":
            entry = await self._managed(entry)
        if not await self._write(entry):
            return False
        if entry.kind == "customer":
            await self._move_members(entry.entity_id, entry.partner_id)
        else:
            # The customer may have moved to another partner while this entry was written: follow it.
            settled = await self._managed(entry)
            if settled.partner_id != entry.partner_id:
                await self._entries.update_one({"_id": entry.key, "version": entry.version},
                                               {"$set": {"partner_id": settled.partner_id}})
        return True

    async def apply_many(self, entries: Sequence[Entry]) -> int:
        """Apply a batch as a rebuild reads it: customers first, so members go to the partner that manages them;
        entries new to the collection in one write each kind, the others one by one."""
        newest = latest(entries)
        customers = [e for e in newest if e.kind == "customer"]
        inserted, changed = await self._insert_or_apply(customers)
        for customer in customers:
            if customer.key in inserted:  # the others moved their members as they were applied
                await self._move_members(customer.entity_id, customer.partner_id)
        members = [e for e in newest if e.kind != "customer"]
        org_ids = {e.org_id for e in members}
        partners = await self._partners_of(org_ids)
        _, changed_members = await self._insert_or_apply([
            dataclasses.replace(e, partner_id=partners[e.org_id])
            if e.org_id in partners and partners[e.org_id] != e.partner_id else e for e in members])
        # A customer may have moved while the batch was written: its move may have missed the new members.
        for org_id, partner_id in (await self._partners_of(org_ids)).items():
            if partners.get(org_id) != partner_id:
                await self._move_members(org_id, partner_id)
        return changed + changed_members

    async def _insert_or_apply(self, entries: list[Entry]) -> tuple[set[str], int]:
        """The keys inserted as new, and how many entries changed in all."""
        keys = [e.key for e in entries]
        existing = {doc["_id"] async for doc in self._entries.find({"_id": {"$in": keys}}, {"_id": 1})}
        new = [e for e in entries if e.key not in existing]
        inserted: set[str] = set()
        if new:
            try:
                await self._entries.insert_many([_to_doc(e) for e in new], ordered=False)
                inserted = {e.key for e in new}
            except BulkWriteError as error:  # written meanwhile by another writer: apply those by version
                failed = {new[item["index"]].key for item in error.details.get("writeErrors", [])}
                inserted = {e.key for e in new} - failed
        changed = len(inserted)
        for entry in entries:
            if entry.key not in inserted:
                changed += await self.apply(entry)
        return inserted, changed

    async def _partners_of(self, org_ids: set[str]) -> dict[str, str]:
        cursor = self._entries.find({"_id": {"$in": [f"customer:{o}" for o in org_ids]}}, {"partner_id": 1})
        return {doc["_id"].removeprefix("customer:"): doc["partner_id"] async for doc in cursor}

    async def _managed(self, entry: Entry) -> Entry:
        customer = await self._entries.find_one({"_id": f"customer:{entry.org_id}"}, {"partner_id": 1})
        if customer is None or customer["partner_id"] == entry.partner_id:
            return entry
        return dataclasses.replace(entry, partner_id=customer["partner_id"])

    async def _move_members(self, org_id: str, partner_id: str) -> None:
        await self._entries.update_many(
            {"org_id": org_id, "kind": {"$ne": "customer"}, "partner_id": {"$ne": partner_id}},
            {"$set": {"partner_id": partner_id}},
        )

    async def _write(self, entry: Entry) -> bool:
        doc = _to_doc(entry)
        for _ in range(_ATTEMPTS):
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

    async def find(self, clauses: Sequence[Clause], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        if not clauses:
            return []
        scope: Doc = {"partner_id": partner_id, "deleted": False}
        if org_id is not None:
            scope["org_id"] = org_id
        conditions = [_condition(c) for c in clauses]

        async def of_kind(kind: str) -> list[Entry]:
            cursor = self._entries.find({**scope, "kind": kind, "$and": conditions})
            return [_from_doc(doc) async for doc in cursor.sort([("sort", 1), ("entity_id", 1)]).limit(limit)]

        found = await asyncio.gather(*(of_kind(kind) for kind in KINDS))
        return [entry for entries in found for entry in entries]

    async def countries(self, partner_id: str, org_id: str | None) -> frozenset[str]:
        scope: Doc = {"kind": "customer", "partner_id": partner_id, "deleted": False}
        if org_id is not None:
            scope["entity_id"] = org_id
        return frozenset(c for c in await self._entries.distinct("country", scope) if c)

    async def org_names(self, org_ids: Collection[str], partner_id: str) -> dict[str, str]:
        if not org_ids:
            return {}
        # By `_id` alone, which FerretDB answers from its index; the rest is checked here.
        keys = sorted(f"customer:{o}" for o in org_ids)
        cursor = self._entries.find({"_id": {"$in": keys}}, {"title": 1, "partner_id": 1, "deleted": 1})
        return {doc["_id"].removeprefix("customer:"): doc["title"] async for doc in cursor
                if not doc["deleted"] and doc["partner_id"] == partner_id}

    async def count(self) -> int:
        return await self._entries.count_documents({})
