"""Identity's import: NDJSON lines upserted by id or deleted, each bad line reported with its reason."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from contracts.identity import Device, Order, Org, Partner, User
from runtime.documents import Doc
from runtime.logs import correlation_id, current_correlation_id
from runtime.times import utc_now
from runtime.versioned import Busy
from services.identity import announcements, domain, records
from services.identity.domain import Entity
from services.identity.parsing import BATCH_LINES, INLINE, MAX_LINE_BYTES, LineParser, Parsed
from services.identity.records import InvalidRecord
from services.identity.store import Decision, IdentityStore, key_of

MAX_REPORTED_REJECTIONS = 1000
Parent = TypeVar("Parent", Partner, Org)


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
            except InvalidRecord as error:
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

    async def get(self, kind: type[Parent], entity_id: str, what: str) -> Parent:
        key = (kind, entity_id)
        if key not in self._known:
            found = await self.store.get(kind, entity_id)
            if found is None or found.deleted:
                raise InvalidRecord(f"{what} {entity_id!r} does not exist; import it first")
            self._known[key] = found
        known: Parent = self._known[key]
        return known

    def forget(self, kind: type[Any], entity_id: str) -> None:
        self._known.pop((kind, entity_id), None)


async def import_parsed(parsed: Parsed, store: IdentityStore, parents: Parents) -> bool:
    """Apply one parsed line; return whether anything changed."""
    if parsed.error is not None:
        raise InvalidRecord(parsed.error)
    if parsed.entity is None:
        assert parsed.record is not None
        return await import_record(parsed.record, store, parents)
    entity = parsed.entity
    org = await _parent_org(entity, parents)
    if _read_in_another_country(entity, parsed.country, org):
        return await import_record(records.parse_record(parsed.line), store, parents)
    if isinstance(entity, User):
        assert org is not None
        domain.require_roles_fit(entity.roles, org)
        await _require_own_email(store, entity)
    parents.forget(type(entity), key_of(entity))
    return await _upsert(store, entity, parsed.document, org)


def _read_in_another_country(entity: Entity, country: str | None, org: Org | None) -> bool:
    """Whether the national phone numbers of a user, or of a device with lines, were read in a country that is not
    their customer's (a worker's guess gone stale)."""
    if org is None or not (isinstance(entity, User) or (isinstance(entity, Device) and entity.phone_numbers)):
        return False
    return org.country != country


async def _require_own_email(store: IdentityStore, user: User) -> None:
    """An address is one person's: it is how they sign in and where their mail's delivery status is kept."""
    holder = await store.user_by_email(user.email)
    if holder is not None and holder.id != user.id:
        raise InvalidRecord(f"email: {user.email!r} already belongs to another user ({holder.id!r})")


async def import_record(record: records.Record, store: IdentityStore, parents: Parents | None = None) -> bool:
    """Apply one record; return whether anything changed."""
    parents = parents or Parents(store)
    if isinstance(record, records.DeletionRecord):
        kind = domain.ENTITIES[record.type]
        parents.forget(kind, record.id)
        return await delete(kind, record.id, store)
    org = await _parent_org(record, parents)
    country = org.country if org else None
    entity = domain.entity_from(record, 1, country)
    return await import_parsed(Parsed(0, b"", entity=entity, country=country), store, parents)


async def _parent_org(child: Entity | records.Upsert, parents: Parents) -> Org | None:
    """The org a user, device or order belongs to; for an org, checks that its partner exists."""
    if isinstance(child, Org | records.OrgRecord):
        await parents.get(Partner, child.partner_id, "partner")
        return None
    if isinstance(child, Partner | records.PartnerRecord):
        return None
    return await parents.get(Org, child.org_id, "org")


async def _upsert(store: IdentityStore, entity: Entity, document: Doc | None, org: Org | None) -> bool:
    """Save an entity as imported (built at version 1, stored as `document` when given) unless it is so already; a
    customer that moves to another partner takes its users, devices and orders with it."""
    at = utc_now()

    async def decide(current: Entity | None) -> Decision[Entity]:
        imported = domain.with_creation_time(current, entity, at)
        if current is None:
            return imported, announcements.of_change(None, imported, org, None)
        if domain.unchanged(current, imported):
            return None
        if isinstance(current, Org) and isinstance(imported, Org):
            domain.require_same_kind(current, imported)
        new = imported.model_copy(update={"version": current.version + 1})
        return new, announcements.of_change(current, new, org, await _previous_org(current, new, org, store))

    # The workers' document is of the entity as imported: not of one given its creation time here.
    as_imported = domain.with_creation_time(None, entity, at) is entity
    try:
        outcome = await store.change(type(entity), key_of(entity), decide,
                                     new_document=document if as_imported else None)
    except Busy:
        raise InvalidRecord(f"{key_of(entity)!r} is being changed by someone else; import it again") from None
    before, after = outcome.before, outcome.record
    if outcome.changed and isinstance(before, Org) and isinstance(after, Org) and before.partner_id != after.partner_id:
        await _reannounce_children(before, after, store)
    return outcome.changed


async def _previous_org(old: Entity, new: Entity, org: Org | None, store: IdentityStore) -> Org | None:
    """The org an existing user was in, as it is now: `org` unless the user moves to another."""
    if not isinstance(old, User) or not isinstance(new, User):
        return None
    return org if old.org_id == new.org_id else await store.get(Org, old.org_id)


async def _reannounce_children(before: Org, org: Org, store: IdentityStore) -> None:
    """A customer moved to another partner: announce its users, devices and orders again under the new one,
    so that a consumer replaying a compacted topic never files them under the old partner, and its people's roles
    end for the old partner and start for the new one."""
    async def again(current: Entity | None) -> Decision[Entity]:
        if current is None:
            return None
        same = current.model_copy(update={"version": current.version + 1})
        return same, announcements.of_change(current, same, org, before)

    kinds: tuple[type[Entity], ...] = (User, Device, Order)
    for kind in kinds:
        for child in await store.find(kind, {"org_id": org.id}, limit=10**9):
            # The customer's move is saved already: a child that stays busy keeps its last announcement rather than
            # fail the customer's line, which importing again would not repeat.
            with contextlib.suppress(Busy):
                await store.change(kind, key_of(child), again)


async def delete(kind: type[Entity], entity_id: str, store: IdentityStore) -> bool:
    """Replace an entity by its tombstone; deleting what is already gone changes nothing. A partner with customers,
    or a customer with users, devices or orders, is refused."""
    async def decide(current: Entity | None) -> Decision[Entity]:
        if current is None or current.deleted:
            return None
        if isinstance(current, Partner | Org) and await store.has_children(current):
            what = "customers" if isinstance(current, Partner) else "users, devices or orders"
            raise InvalidRecord(f"{entity_id!r} still has {what}; delete those first")
        org = await store.get(Org, current.org_id) if isinstance(current, User | Device | Order) else None
        gone = domain.tombstone(current)
        return gone, announcements.of_change(current, gone, org, org)

    try:
        return (await store.change(kind, entity_id, decide)).changed
    except Busy:
        raise InvalidRecord(f"{entity_id!r} is being changed by someone else; delete it again") from None
