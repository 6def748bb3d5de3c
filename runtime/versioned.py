"""A service's own state as versioned records: one frozen model per document, changed by optimistic writes.

A change is decided on the record as last read and saved only if nobody changed it since, in the same write as
the events that announce it (see documents.py), so a write and its events never diverge. When another writer got
there first, the change is decided again on what that writer left, so two concurrent requests cannot undo each
other. Deciding is plain code with no I/O: a service's domain says what the new record is, the store does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from contracts import Event
from runtime.documents import Documents, MemoryDocuments, MongoDocuments, VersionConflict
from runtime.mongo import Database

ATTEMPTS = 5
Keeper = Callable[[str, Sequence[str]], Documents]
"""Where a service keeps a collection of documents: (collection, indexed fields) -> its documents."""


class Versioned(BaseModel):
    """Base of a stored record: frozen, so a decision can only make a new one; versioned by its store."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: int = Field(0, description="Set by the store: 1 when first saved, one more at every change.")


R = TypeVar("R", bound=Versioned)
Decision = tuple[R, Sequence[Event]] | None


class Outcome(NamedTuple, Generic[R]):
    record: R | None  # as it stands after the change: None only when there is none and none was made
    changed: bool


class Busy(RuntimeError):
    """The record kept changing under us: every attempt met another writer's newer version."""


class VersionedStore(Generic[R]):
    """One collection of one kind of record, keyed by a string, in memory or on MongoDB.

    A service's store is a subclass naming its `model` and `collection`, plus any lookups of its own.
    """

    model: type[R]
    collection: str
    indexes: tuple[str, ...] = ()

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    @classmethod
    def kept_by(cls, keep: Keeper) -> Self:
        """The store over the documents `keep` gives for its collection (see runtime.service.Infrastructure)."""
        return cls(keep(cls.collection, cls.indexes))

    @classmethod
    def memory(cls) -> Self:
        return cls(MemoryDocuments(cls.collection, cls.indexes))

    @classmethod
    def mongo(cls, db: Database) -> Self:
        return cls(MongoDocuments(db, cls.collection, cls.indexes))

    async def create_indexes(self) -> None:
        if isinstance(self.documents, MongoDocuments):
            await self.documents.create_indexes()

    async def get(self, key: str) -> R | None:
        doc = await self.documents.get(key)
        return self.model.model_validate(doc) if doc is not None else None

    async def change(self, key: str, decide: Callable[[R | None], Decision[R]]) -> Outcome[R]:
        """Save what `decide` makes of the stored record (None if there is none), with its events. `decide` answers
        None when nothing is to change, and then nothing is written."""
        for _ in range(ATTEMPTS):
            current = await self.get(key)
            decision = decide(current)
            if decision is None:
                return Outcome(current, changed=False)
            record, events = decision
            record = record.model_copy(update={"version": current.version + 1 if current else 1})
            try:
                await self.documents.save(_document(key, record), expected_version=current.version if current else None,
                                          events=events)
            except VersionConflict:
                continue
            return Outcome(record, changed=True)
        raise Busy(key)

    async def add_new(self, records: Sequence[tuple[str, R]]) -> int:
        """Keep each record whose key is not there yet, as version 1, in one write where the documents allow; a key
        already kept keeps what it has. Answers how many were added. For records written once and never changed."""
        return await self.documents.add_new(
            [_document(key, record.model_copy(update={"version": 1})) for key, record in records])


def _document(key: str, record: Versioned) -> dict[str, Any]:
    return {"_id": key, **record.model_dump(mode="json")}
