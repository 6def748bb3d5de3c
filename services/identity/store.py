"""Identity's storage: one versioned collection per entity kind, each write carrying its events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pymongo.asynchronous.database import AsyncDatabase

from contracts import Event
from contracts.identity import Device, Order, Org, Partner, User
from runtime.documents import Documents, MemoryDocuments, MongoDocuments

Entity = TypeVar("Entity", Partner, Org, User, Device, Order)

_INDEXES: dict[str, tuple[str, ...]] = {
    "partners": (), "orgs": ("partner_id",), "users": ("email_key", "org_id"),
    "devices": ("owner_user_id", "org_id"), "orders": ("org_id",),
}


def _doc_id(entity: Partner | Org | User | Device | Order) -> str:
    return entity.number if isinstance(entity, Order) else entity.id


Doc = dict[str, Any]


def document_of(entity: Partner | Org | User | Device | Order) -> Doc:
    """The document that stores an entity: its JSON form, keyed by its id, with what the indexes look up."""
    doc: Doc = {"_id": _doc_id(entity), **entity.model_dump(mode="json")}
    if isinstance(entity, User):
        doc["email_key"] = entity.email.lower()
    return doc


class IdentityStore:
    """Typed access to identity's collections; the same code over memory or MongoDB documents."""

    def __init__(self, collections: dict[str, Documents]) -> None:
        self.collections = collections

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

    async def get(self, kind: type[Entity], entity_id: str) -> Entity | None:
        doc = await self.document(kind, entity_id)
        return kind.model_validate(doc) if doc is not None else None

    async def document(self, kind: type[Entity], entity_id: str) -> dict[str, Any] | None:
        """The stored document as it is, not validated: a decision read from it costs the same whether the
        entity exists or not."""
        return await self.collections[_collection(kind)].get(entity_id)

    async def save(self, entity: Entity, previous_version: int | None, events: Sequence[Event],
                   document: Doc | None = None) -> None:
        """`document`: the entity's document when the caller has it already (`document_of(entity)`)."""
        await self.collections[_collection(type(entity))].save(
            document if document is not None else document_of(entity), expected_version=previous_version,
            events=events,
        )

    async def find(self, kind: type[Entity], where: dict[str, Any], limit: int = 1000) -> list[Entity]:
        """Live (not deleted) entities whose fields equal `where` (a list field matches one of its members)."""
        docs = await self.collections[_collection(kind)].find({**where, "deleted": False}, limit=limit)
        return [kind.model_validate(doc) for doc in docs]

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
