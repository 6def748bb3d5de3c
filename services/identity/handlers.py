"""Identity's use-cases: import records (upsert by id), look people up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from contracts import Event
from contracts.identity import (
    Device,
    DeviceUpserted,
    Order,
    OrderPlaced,
    Org,
    OrgUpserted,
    Partner,
    PartnerUpserted,
    RoleAssigned,
    RoleRevoked,
    User,
    UserUpserted,
)
from runtime.documents import VersionConflict
from runtime.logs import correlation_id, current_correlation_id
from services.identity import domain
from services.identity.parsing import BATCH_LINES, INLINE, MAX_LINE_BYTES, LineParser, Parsed
from services.identity.store import Doc, Entity, IdentityStore

MAX_REPORTED_REJECTIONS = 1000


@dataclass
class ImportReport:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_total: int = 0

    def reject(self, line: int, error: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REPORTED_REJECTIONS:
            self.rejected.append({"line": line, "error": error})


async def ndjson_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    """Numbered lines of an NDJSON stream, never holding more than one line (of at most 1 MiB) in memory.

    A longer line is yielded once, cut at the limit, so it can be reported; the rest of it is skipped.
    """
    buffer, number, skipping = b"", 0, False
    async for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            number += 1
            if skipping:
                skipping = False
                continue
            yield number, line
        if len(buffer) > MAX_LINE_BYTES:
            if not skipping:
                yield number + 1, buffer
            skipping, buffer = True, b""
    if buffer.strip() and not skipping:
        yield number + 1, buffer


async def import_records(chunks: AsyncIterator[bytes], store: IdentityStore,
                         on_change: Callable[[], None] = lambda: None, parser: LineParser = INLINE,
                         on_batch: Callable[[], None] = lambda: None) -> ImportReport:
    """Upsert every good line; a bad line is reported with its reason and never stops the rest.

    `on_change` follows every change, `on_batch` every BATCH_LINES lines.
    """
    report = ImportReport()
    parents = Parents(store)
    token = correlation_id.set(current_correlation_id())  # one id for every event of this import
    try:
        read = 0
        async for parsed in parser.parse(ndjson_lines(chunks)):
            read += 1
            if read % BATCH_LINES == 0:
                on_batch()
            try:
                await import_parsed(parsed, store, parents)
            except domain.InvalidRecord as error:
                report.reject(parsed.number, str(error))
                continue
            report.accepted += 1
            on_change()
    finally:
        correlation_id.reset(token)
    return report


class Parents:
    """The partners and orgs an import refers to, read once per import rather than once per record."""

    def __init__(self, store: IdentityStore) -> None:
        self.store = store
        self._known: dict[tuple[type[Any], str], Any] = {}

    async def get(self, kind: type[Entity], entity_id: str, what: str) -> Entity:
        key = (kind, entity_id)
        if key not in self._known:
            self._known[key] = await _require(self.store, kind, entity_id, what)
        found: Entity = self._known[key]
        return found

    def forget(self, kind: type[Any], entity_id: str) -> None:
        self._known.pop((kind, entity_id), None)


async def import_parsed(parsed: Parsed, store: IdentityStore, parents: Parents) -> bool:
    """Apply one parsed line; return whether anything changed."""
    if parsed.error is not None:
        raise domain.InvalidRecord(parsed.error)
    if parsed.entity is None:
        assert parsed.record is not None
        return await import_record(parsed.record, store, parents)
    entity = parsed.entity
    org = await _parent_org(entity, parents)
    if isinstance(entity, User) and org is not None and org.country != parsed.country:
        return await import_record(domain.parse_record(parsed.line), store, parents)  # read in the wrong country
    if isinstance(entity, User):
        assert org is not None
        domain.require_roles_fit(entity.roles, org)
        await _require_own_email(store, entity)
    kind = type(entity)
    parents.forget(kind, _key(entity))
    return await _upsert(store, kind, _key(entity), _versions(entity, parsed.document), org)


async def _require_own_email(store: IdentityStore, user: User) -> None:
    """An address is one person's: it is how they sign in and where their mail's delivery status is kept."""
    holder = await store.user_by_email(user.email)
    if holder is not None and holder.id != user.id:
        raise domain.InvalidRecord(f"email: {user.email!r} already belongs to another user ({holder.id!r})")


async def import_record(record: domain.Record, store: IdentityStore, parents: Parents | None = None) -> bool:
    """Apply one record; return whether anything changed."""
    parents = parents or Parents(store)
    if isinstance(record, domain.DeletionRecord):
        kind: Any = domain.ENTITIES[record.type]
        parents.forget(kind, record.id)
        return await delete(kind, record.id, store)
    org = await _parent_org(record, parents)
    country = org.country if org else None
    entity = domain.entity_from(record, 1, country)
    return await import_parsed(Parsed(0, b"", entity=entity, country=country), store, parents)


async def _parent_org(child: domain.Entity | domain.Upsert, parents: Parents) -> Org | None:
    """The org a user, device or order belongs to; for an org, checks that its partner exists."""
    if isinstance(child, Org | domain.OrgRecord):
        await parents.get(Partner, child.partner_id, "partner")
        return None
    if isinstance(child, Partner | domain.PartnerRecord):
        return None
    return await parents.get(Org, child.org_id, "org")


def _key(entity: domain.Entity) -> str:
    return entity.number if isinstance(entity, Order) else entity.id


def _versions(entity: domain.Entity, document: Doc | None) -> Callable[[int], tuple[Any, Doc | None]]:
    """The entity at a version, with its document when known: as it was built (at version 1, with the document
    it was read with, if any), or a copy of it at a later one."""
    return lambda version: (entity, document) if version == 1 else (entity.model_copy(update={"version": version}),
                                                                     None)


def _announce(old: Entity | None, new: Entity, org: Org | None, old_org: Org | None) -> list[Event]:
    """The events that tell the world about a change: the whole entity, and any change of the roles a user holds
    (`old_org` is the org the user was in before, as it was then)."""
    cid = correlation_id.get()
    match new:
        case Partner():
            return [PartnerUpserted(partner=new, partner_id=new.id, correlation_id=cid)]
        case Org():
            return [OrgUpserted(org=new, partner_id=new.partner_id, correlation_id=cid)]
    assert org is not None
    match new:
        case User():
            return _user_events(old if isinstance(old, User) else None, old_org, new, org, cid)
        case Device():
            return [DeviceUpserted(device=new, partner_id=org.partner_id, correlation_id=cid)]
        case Order():
            return [OrderPlaced(order=new, partner_id=org.partner_id, correlation_id=cid)]
    raise TypeError(type(new))


def _user_events(old: User | None, old_org: Org | None, new: User, org: Org, cid: str) -> list[Event]:
    """The user's state, then its role changes. A role is held for one org and its partner: a user who moves to
    another org, or whose org moves to another partner, loses every role held there (RoleRevoked for the old
    partner) and holds what fits the new org anew (RoleAssigned for the new one)."""
    before, after = domain.held_roles(old, old_org), domain.held_roles(new, org)
    moved = old_org is None or (old is not None and old.org_id != new.org_id) or old_org.partner_id != org.partner_id
    revoked, assigned = (before, after) if moved else (before - after, after - before)
    state = {"roles": tuple(sorted(after)), "user_org_id": new.org_id, "user_partner_id": org.partner_id,
             "user_version": new.version, "correlation_id": cid}
    gained: list[Event] = [RoleAssigned(user_id=new.id, org_id=new.org_id, role=r, partner_id=org.partner_id,
                                        **state) for r in sorted(assigned)]
    lost: list[Event] = []
    if revoked:
        assert old is not None
        assert old_org is not None
        lost = [RoleRevoked(user_id=new.id, org_id=old.org_id, role=r, partner_id=old_org.partner_id, **state)
                for r in sorted(revoked)]
    # In one org, what is gained comes first, so one following role by role never sees a moment without either
    # level of a changed role; after a move, the old org's roles end before the new org's begin.
    changes = lost + gained if moved else gained + lost
    return [UserUpserted(user=new, partner_id=org.partner_id, correlation_id=cid), *changes]


async def _require(store: IdentityStore, kind: type[Entity], entity_id: str, what: str) -> Entity:
    found = await store.get(kind, entity_id)
    if found is None or found.deleted:
        raise domain.InvalidRecord(f"{what} {entity_id!r} does not exist; import it first")
    return found


async def _upsert(store: IdentityStore, kind: type[Any], entity_id: str,
                  build: Callable[[int], tuple[Any, Doc | None]], org: Org | None = None) -> bool:
    for _ in range(5):
        old = await store.get(kind, entity_id)
        new, document = build(old.version + 1 if old else 1)
        if old is not None and old.model_copy(update={"version": new.version}) == new:
            return False
        if isinstance(old, Org) and isinstance(new, Org):
            domain.require_same_kind(old, new)
        if await _save(store, old, new, org, document):
            if isinstance(old, Org) and isinstance(new, Org) and old.partner_id != new.partner_id:
                await _reannounce_children(old, new, store)
            return True
    raise domain.InvalidRecord(f"{entity_id!r} is being changed by someone else; import it again")


async def _reannounce_children(before: Org, org: Org, store: IdentityStore) -> None:
    """A customer moved to another partner: announce its users, devices and orders again under the new one,
    so that a consumer replaying a compacted topic never files them under the old partner, and its people's roles
    end for the old partner and start for the new one."""
    kinds: tuple[type[Any], ...] = (User, Device, Order)
    for kind in kinds:
        for child in await store.find(kind, {"org_id": org.id}, limit=10**9):
            for _ in range(5):
                current = await store.get(kind, _key(child))
                if current is None or await _save(store, current, current.model_copy(
                        update={"version": current.version + 1}), org, old_org=before):
                    break


async def _save(store: IdentityStore, old: Entity | None, new: Entity, org: Org | None,
                document: Doc | None = None, old_org: Org | None = None) -> bool:
    """Write the new state with its events in one write; False when someone else changed it meanwhile.

    `old_org` is the org an existing user was in, as it was, when it is not `org` as it is now."""
    if isinstance(old, User) and isinstance(new, User) and old_org is None:
        old_org = org if old.org_id == new.org_id else await store.get(Org, old.org_id)
    try:
        await store.save(new, old.version if old else None, _announce(old, new, org, old_org), document)
    except VersionConflict:
        return False
    return True


async def delete(kind: type[Entity], entity_id: str, store: IdentityStore) -> bool:
    """Replace an entity by its tombstone; deleting what is already gone changes nothing."""
    for _ in range(5):
        old = await store.get(kind, entity_id)
        if old is None or old.deleted:
            return False
        if isinstance(old, Partner | Org) and await store.has_children(old):
            what = "customers" if isinstance(old, Partner) else "users, devices or orders"
            raise domain.InvalidRecord(f"{entity_id!r} still has {what}; delete those first")
        org = await store.get(Org, old.org_id) if isinstance(old, User | Device | Order) else None
        if await _save(store, old, old.model_copy(update={"deleted": True, "version": old.version + 1}), org):
            return True
    raise domain.InvalidRecord(f"{entity_id!r} is being changed by someone else; delete it again")


async def user_by_email(email: str, store: IdentityStore) -> tuple[User, str] | None:
    """A user and the partner that manages their org, for logging in."""
    user = await store.user_by_email(email)
    if user is None or user.deleted:
        return None
    org = await store.get(Org, user.org_id)
    return (user, org.partner_id) if org is not None else None
