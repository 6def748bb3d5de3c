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
from helpdesk.runtime.documents import VersionConflict
from helpdesk.runtime.logs import current_correlation_id
from services.identity import domain
from services.identity.store import Entity, IdentityStore

MAX_LINE_BYTES = 1 << 20
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
                         on_change: Callable[[], None] = lambda: None) -> ImportReport:
    """Upsert every good line; a bad line is reported with its reason and never stops the rest."""
    report = ImportReport()
    async for number, line in ndjson_lines(chunks):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            report.reject(number, "line is longer than 1 MiB")
            continue
        try:
            await import_record(domain.parse_record(line), store)
        except domain.InvalidRecord as error:
            report.reject(number, str(error))
            continue
        report.accepted += 1
        on_change()
    return report


async def import_record(record: domain.Record, store: IdentityStore) -> bool:
    """Apply one record; return whether anything changed."""
    match record:
        case domain.DeletionRecord():
            return await delete(_KINDS[record.type], record.id, store)
        case domain.PartnerRecord():
            return await _upsert(store, Partner, record.id, lambda v: domain.partner_from(record, v))
        case domain.OrgRecord():
            await _require(store, Partner, record.partner_id, "partner")
            return await _upsert(store, Org, record.id, lambda v: domain.org_from(record, v))
        case domain.UserRecord():
            org = await _require(store, Org, record.org_id, "org")
            return await _upsert(store, User, record.id, lambda v: domain.user_from(record, v, org.country), org)
        case domain.DeviceRecord():
            org = await _require(store, Org, record.org_id, "org")
            return await _upsert(store, Device, record.id, lambda v: domain.device_from(record, v), org)
        case domain.OrderRecord():
            org = await _require(store, Org, record.org_id, "org")
            return await _upsert(store, Order, record.number, lambda v: domain.order_from(record, v), org)
    raise domain.InvalidRecord("unsupported record")


_KINDS: dict[str, Any] = {
    "partner": Partner, "org": Org, "user": User, "device": Device, "order": Order,
}


def _announce(old: Entity | None, new: Entity, org: Org | None) -> list[Event]:
    """The events that tell the world about a change: the whole entity, and any partner role change."""
    match new:
        case Partner():
            return [PartnerUpserted(partner=new, partner_id=new.id)]
        case Org():
            return [OrgUpserted(org=new, partner_id=new.partner_id)]
    assert org is not None
    match new:
        case User():
            return _user_events(old if isinstance(old, User) else None, new, org.partner_id)
        case Device():
            return [DeviceUpserted(device=new, partner_id=org.partner_id)]
        case Order():
            return [OrderPlaced(order=new, partner_id=org.partner_id)]
    raise TypeError(type(new))


def _user_events(old: User | None, new: User, partner_id: str) -> list[Event]:
    assigned, revoked = domain.role_changes(old.roles if old and not old.deleted else (),
                                            () if new.deleted else new.roles)
    events: list[Event] = [UserUpserted(user=new, partner_id=partner_id)]
    events += [RoleAssigned(user_id=new.id, org_id=new.org_id, role=r, partner_id=partner_id)
               for r in sorted(assigned)]
    events += [RoleRevoked(user_id=new.id, org_id=new.org_id, role=r, partner_id=partner_id)
               for r in sorted(revoked)]
    return events


async def _require(store: IdentityStore, kind: type[Entity], entity_id: str, what: str) -> Entity:
    found = await store.get(kind, entity_id)
    if found is None or found.deleted:
        raise domain.InvalidRecord(f"{what} {entity_id!r} does not exist; import it first")
    return found


async def _upsert(store: IdentityStore, kind: type[Entity], entity_id: str, build: Callable[[int], Entity],
                  org: Org | None = None) -> bool:
    for _ in range(5):
        old = await store.get(kind, entity_id)
        new = build(old.version + 1 if old else 1)
        if old is not None and old.model_copy(update={"version": new.version}) == new:
            return False
        if await _save(store, old, new, org):
            return True
    raise domain.InvalidRecord(f"{entity_id!r} is being changed by someone else; import it again")


async def _save(store: IdentityStore, old: Entity | None, new: Entity, org: Org | None) -> bool:
    """Write the new state with its events in one write; False when someone else changed it meanwhile."""
    correlation = current_correlation_id()
    events = [e.model_copy(update={"correlation_id": correlation}) for e in _announce(old, new, org)]
    try:
        await store.save(new, old.version if old else None, events)
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
