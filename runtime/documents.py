"""Versioned documents with an outbox: the storage shape every service's store is built on.

A document is saved together with the events that announce the change, in one single-document write
(FerretDB has no transactions), so a write and its events can never diverge; the outbox relay publishes
the events later and removes them. Two implementations: in memory, and MongoDB through PyMongo's async API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from contracts import Event, decode

Doc = dict[str, Any]
OUTBOX = "_outbox"
DUPLICATE_KEY = 11000  # MongoDB's error code for an `_id` (or unique key) already taken


class VersionConflict(Exception):
    """Someone else changed the document since it was read: read it again and retry."""


class PendingEvent(NamedTuple):
    """An event waiting in a document's outbox (a tuple: a relay reads hundreds at a time)."""

    collection: str
    doc_id: str
    event: Event
    token: Any = None  # what the store needs to find the event again when it was published


class Documents(Protocol):
    """One collection of documents keyed by `_id`, each with an integer `version`."""

    name: str

    async def get(self, doc_id: str) -> Doc | None: ...
    async def save(self, doc: Doc, *, expected_version: int | None, events: Sequence[Event] = ()) -> None: ...
    async def add_new(self, docs: Sequence[Doc]) -> int:
        """Add each document whose `_id` is not there yet, in one write where the store allows; leave every other
        as it is. Answers how many were added. For records written once and never changed (no events)."""
        ...
    async def find(self, where: Mapping[str, Any], limit: int = 1000) -> list[Doc]: ...
    async def pending(self, limit: int) -> list[PendingEvent]: ...
    async def mark_published(self, item: PendingEvent) -> None: ...
    async def count(self) -> int: ...


def _matches(doc: Doc, where: Mapping[str, Any]) -> bool:
    for key, wanted in where.items():
        value = doc.get(key)
        if isinstance(value, list) and not isinstance(wanted, list):
            if wanted not in value:
                return False
        elif value != wanted:
            return False
    return True


# An indexed value most often belongs to one document (an e-mail): it keeps that id; a shared one keeps a set.
_Posting = str | set[str]


class MemoryDocuments:
    """Documents in a dict, their unpublished events beside them. Reads return shallow copies: callers treat
    documents as values, never mutate them."""

    def __init__(self, name: str, indexes: Sequence[str] = ()) -> None:
        self.name = name
        self._docs: dict[str, Doc] = {}
        self._indexes: dict[str, dict[Any, _Posting]] = {field: {} for field in indexes}
        self._outbox: dict[str, list[Event]] = {}  # events to publish by document, oldest document first

    def _index(self, doc: Doc, add: bool) -> None:
        doc_id = doc["_id"]
        for field, index in self._indexes.items():
            value = doc.get(field)
            for key in value if isinstance(value, list) else (value,):
                posting = index.get(key)
                if add:
                    if posting is None:
                        index[key] = doc_id
                    elif isinstance(posting, set):
                        posting.add(doc_id)
                    elif posting != doc_id:
                        index[key] = {posting, doc_id}
                elif posting == doc_id:
                    del index[key]
                elif isinstance(posting, set):
                    posting.discard(doc_id)
                    if len(posting) == 1:  # back to the one id, as if it had never been shared
                        index[key] = next(iter(posting))

    def _ids(self, field: str, value: Any) -> Iterable[str]:
        posting = self._indexes[field].get(value)
        if posting is None:
            return ()
        return posting if isinstance(posting, set) else (posting,)

    async def get(self, doc_id: str) -> Doc | None:
        doc = self._docs.get(doc_id)
        return dict(doc) if doc is not None else None

    async def save(self, doc: Doc, *, expected_version: int | None, events: Sequence[Event] = ()) -> None:
        doc_id = doc["_id"]
        current = self._docs.get(doc_id)
        if expected_version is None and current is not None:
            raise VersionConflict(doc_id)
        if expected_version is not None and (current is None or current.get("version") != expected_version):
            raise VersionConflict(doc_id)
        if current is not None:
            self._index(current, add=False)
        self._docs[doc_id] = dict(doc)
        self._index(doc, add=True)
        if events:
            self._outbox.setdefault(doc_id, []).extend(events)

    async def add_new(self, docs: Sequence[Doc]) -> int:
        added = 0
        for doc in docs:
            if doc["_id"] not in self._docs:
                self._docs[doc["_id"]] = dict(doc)
                self._index(doc, add=True)
                added += 1
        return added

    async def find(self, where: Mapping[str, Any], limit: int = 1000) -> list[Doc]:
        candidates: Iterable[Doc] = self._docs.values()
        for field, wanted in where.items():
            if field in self._indexes and not isinstance(wanted, list):
                candidates = [self._docs[i] for i in self._ids(field, wanted)]
                break
        found = [dict(d) for d in candidates if _matches(d, where)]
        return found[:limit]

    async def pending(self, limit: int) -> list[PendingEvent]:
        items: list[PendingEvent] = []
        for doc_id, events in self._outbox.items():
            items += [PendingEvent(self.name, doc_id, event) for event in events]
            if len(items) >= limit:
                break
        return items[:limit]

    async def mark_published(self, item: PendingEvent) -> None:
        events = self._outbox.get(item.doc_id)
        if events is None:
            return
        remaining = [e for e in events if e.event_id != item.event.event_id]
        if remaining:
            self._outbox[item.doc_id] = remaining
        else:
            del self._outbox[item.doc_id]

    async def count(self) -> int:
        return len(self._docs)


WRITE_LOCKS = 256


class MongoDocuments:
    """One collection on MongoDB. Within a process, a document takes one update at a time: FerretDB 1.24 applies an
    update by reading the document and writing it back whole, so two updates of one document at once (a change, and
    the outbox relay removing an event it has published) could each undo the other, and a mail's `sent` be undone
    and the mail sent again. MongoDB applies each update atomically, which is what orders the writes of several
    processes; on FerretDB, replicas writing one document at the same moment can still lose one of them."""

    def __init__(self, db: AsyncDatabase[Doc], name: str, indexes: Sequence[str] = ()) -> None:
        self.name = name
        self._collection = db[name]
        self._indexes = indexes
        # By the document's id, hashed into a fixed number of locks: memory stays bounded whatever the collection.
        self._writing = [asyncio.Lock() for _ in range(WRITE_LOCKS)]

    def _lock(self, doc_id: object) -> asyncio.Lock:
        return self._writing[hash(doc_id) % WRITE_LOCKS]

    async def create_indexes(self) -> None:
        for field in (*self._indexes, f"{OUTBOX}.event_id"):
            await self._collection.create_index([(field, ASCENDING)])

    async def get(self, doc_id: str) -> Doc | None:
        return await self._collection.find_one({"_id": doc_id}, {OUTBOX: 0})

    async def save(self, doc: Doc, *, expected_version: int | None, events: Sequence[Event] = ()) -> None:
        bodies = [event.model_dump(mode="json") for event in events]
        if expected_version is None:
            try:
                await self._collection.insert_one({**doc, OUTBOX: bodies})
            except DuplicateKeyError as error:
                raise VersionConflict(doc["_id"]) from error
            return
        fields = {k: v for k, v in doc.items() if k != "_id"}
        async with self._lock(doc["_id"]):
            result = await self._collection.update_one(
                {"_id": doc["_id"], "version": expected_version},
                {"$set": fields, "$push": {OUTBOX: {"$each": bodies}}},
            )
        if result.matched_count == 0:
            raise VersionConflict(doc["_id"])

    async def add_new(self, docs: Sequence[Doc]) -> int:
        if not docs:
            return 0
        try:
            # Unordered: a document already there is reported and the rest are still inserted.
            result = await self._collection.insert_many([{**doc, OUTBOX: []} for doc in docs], ordered=False)
        except BulkWriteError as error:
            if any(failed.get("code") != DUPLICATE_KEY for failed in error.details.get("writeErrors", ())):
                raise
            added: int = error.details.get("nInserted", 0)
            return added
        return len(result.inserted_ids)

    async def find(self, where: Mapping[str, Any], limit: int = 1000) -> list[Doc]:
        cursor = self._collection.find(dict(where), {OUTBOX: 0}).limit(limit)
        return [doc async for doc in cursor]

    async def pending(self, limit: int) -> list[PendingEvent]:
        cursor = self._collection.find({f"{OUTBOX}.event_id": {"$exists": True}}, {OUTBOX: 1}).limit(limit)
        return [
            PendingEvent(self.name, doc["_id"], decode(body), token=body)
            async for doc in cursor
            for body in doc.get(OUTBOX, [])
        ]

    async def mark_published(self, item: PendingEvent) -> None:
        # The whole event as read back: FerretDB 1.24 pulls by equal value, not by a condition.
        async with self._lock(item.doc_id):
            await self._collection.update_one({"_id": item.doc_id}, {"$pull": {OUTBOX: item.token}})

    async def count(self) -> int:
        return await self._collection.count_documents({})
