"""Identity's storage: one versioned collection per entity kind, each change written with its events.

A change is decided on the entity as last read and saved only if nobody changed it since, like
runtime.versioned's stores; here one store keeps every kind, and a decision may read the other entities it depends
on (a user's previous org, a customer's children), so `decide` is awaited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar, cast

from pymongo.asynchronous.database import AsyncDatabase

from contracts import Event
from contracts.identity import Device, Order, Org, Partner, User
from runtime.documents import Doc, Documents, MemoryDocuments, MongoDocuments, VersionConflict
from runtime.versioned import ATTEMPTS, Busy, Keeper

E = TypeVar("E", bound=Partner | Org | User | Device | Order)
Decision = tuple[E, Sequence[Event]] | None
"""The entity at its next version with the events that announce it, or None: nothing to change."""


class Outcome(NamedTuple, Generic[E]):
    """What a change did, as runtime.versioned's Outcome says it, with the entity it was decided on."""

    before: E | None  # as the change found it
    record: E | None  # as it stands after the change: None only when there is none and none was made
    changed: bool


_INDEXES: dict[str, tuple[str, ...]] = {
    "partners": (), "orgs": ("partner_id",), "users": ("email_key", "org_id"),
    "devices": ("owner_user_id", "org_id"), "orders": ("org_id",),
}


def key_of(entity: Partner | Org | User | Device | Order) -> str:
    """The key an entity is stored and announced under: an order's number, anything else's id."""
    return entity.number if isinstance(entity, Order) else entity.id


def document_of(entity: Partner | Org | User | Device | Order) -> Doc:
    """The document that stores an entity: its JSON form, keyed by its id, with what the indexes look up."""
    doc: Doc = {"_id": key_of(entity), **entity.model_dump(mode="json")}
    if isinstance(entity, User):
        doc["email_key"] = entity.email.lower()
    return doc


class IdentityStore:
    """Typed access to identity's collections; the same code over memory or MongoDB documents."""

    def __init__(self, collections: dict[str, Documents]) -> None:
        self.collections = collections

    @classmethod
    def kept_by(cls, keep: Keeper) -> IdentityStore:
        """The store over the documents `keep` gives for each of its collections (runtime.service.Infrastructure)."""
        return cls({name: keep(name, indexes) for name, indexes in _INDEXES.items()})

    @classmethod
    def memory(cls) -> IdentityStore:
        return cls({name: MemoryDocuments(name, indexes) for name, indexes in _INDEXES.items()})

    @classmethod
    def mongo(cls, db: AsyncDatabase[dict[str, Any]]) -> IdentityStore:
        return cls({name: MongoDocuments(db, name, indexes) for name, indexes in _INDEXES.items()})

    @property
    def in_memory(self) -> bool:
        """Whether the data lives in this process's memory (the embedded mode, tests)."""
        return all(isinstance(c, MemoryDocuments) for c in self.collections.values())

    async def create_indexes(self) -> None:
        for collection in self.collections.values():
            if isinstance(collection, MongoDocuments):
                await collection.create_indexes()

    async def get(self, kind: type[E], entity_id: str) -> E | None:
        doc = await self.document(kind, entity_id)
        return _entity(kind, doc) if doc is not None else None

    async def document(self, kind: type[E], entity_id: str) -> Doc | None:
        """The stored document as it is, not validated: a decision read from it costs the same whether the
        entity exists or not."""
        return await self.collections[_collection(kind)].get(entity_id)

    async def change(self, kind: type[E], key: str, decide: Callable[[E | None], Awaitable[Decision[E]]],
                     new_document: Doc | None = None) -> Outcome[E]:
        """Save what `decide` makes of the stored entity (None if there is none), with its events; decide again on
        what another writer left when one got there first, and raise runtime.versioned.Busy when one always does.
        `new_document`: the document of what `decide` makes when there is nothing yet, when the caller has it
        already (an import's workers make it)."""
        documents = self.collections[_collection(kind)]
        for _ in range(ATTEMPTS):
            current = await self.get(kind, key)
            decision = await decide(current)
            if decision is None:
                return Outcome(current, current, changed=False)
            entity, events = decision
            document = new_document if current is None and new_document is not None else document_of(entity)
            try:
                await documents.save(document, expected_version=current.version if current else None, events=events)
            except VersionConflict:
                continue
            return Outcome(current, entity, changed=True)
        raise Busy(key)

    async def find(self, kind: type[E], where: dict[str, Any], limit: int = 1000) -> list[E]:
        """Live (not deleted) entities whose fields equal `where` (a list field matches one of its members)."""
        docs = await self.collections[_collection(kind)].find({**where, "deleted": False}, limit=limit)
        return [_entity(kind, doc) for doc in docs]

    async def has_children(self, parent: Partner | Org) -> bool:
        if isinstance(parent, Partner):
            return bool(await self.collections["orgs"].find({"partner_id": parent.id, "deleted": False}, limit=1))
        for name in ("users", "devices", "orders"):
            if await self.collections[name].find({"org_id": parent.id, "deleted": False}, limit=1):
                return True
        return False

    async def user_by_email(self, email: str) -> User | None:
        found = await self.collections["users"].find({"email_key": email.strip().lower(), "deleted": False},
                                                      limit=1)
        return User.model_validate(found[0]) if found else None


_COLLECTIONS: dict[type[Any], str] = {
    Partner: "partners", Org: "orgs", User: "users", Device: "devices", Order: "orders",
}


def _collection(kind: type[Any]) -> str:
    return _COLLECTIONS[kind]


def _entity(kind: type[E], doc: Doc) -> E:
    # mypy reads model_validate on a type bound to a union of models as giving the whole union, not `kind`.
    return cast(E, kind.model_validate(doc))
