"""The alternatives the read model's engine is compared with. Each keeps the store contract (SearchStore) and
answers the same plans, so the same handlers run on top of every one of them.

- `sqlite`: SQLite FTS5 on disk, a row per entry and its terms as one document; the partner is a term of the
  document, so scope is part of the full-text match; candidates are checked against the clauses exactly.
- `scan`: a list of entries, every query reads all of them.
The product's engines are `memory` (services/search/store/memory.py) and `opensearch` (…/opensearch.py).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path

from services.search.domain import Entry, first_of_each_kind, latest
from services.search.query import Clause

_SCHEMA = """
CREATE TABLE entries (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, kind TEXT, entity_id TEXT, org_id TEXT,
    partner_id TEXT, version INTEGER, title TEXT, subtitle TEXT, terms TEXT, fields TEXT, country TEXT,
    deleted INTEGER);
CREATE INDEX entries_org ON entries (org_id);
CREATE INDEX entries_partner ON entries (partner_id, kind);
CREATE VIRTUAL TABLE documents USING fts5(body, tokenize="unicode61 remove_diacritics 0 tokenchars '.@+:-_''/'",
    prefix='2 3 4');
"""
_COLUMNS = "kind, entity_id, org_id, partner_id, version, title, subtitle, terms, fields, country, deleted"


def _row(entry: Entry) -> tuple[object, ...]:
    return (entry.key, entry.kind, entry.entity_id, entry.org_id, entry.partner_id, entry.version, entry.title,
            entry.subtitle, json.dumps(entry.terms), json.dumps(entry.fields), entry.country, int(entry.deleted))


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(row["kind"], row["entity_id"], row["org_id"], row["partner_id"], row["version"], row["title"],
                 row["subtitle"], tuple(json.loads(row["terms"])), tuple(tuple(f) for f in json.loads(row["fields"])),
                 row["country"], bool(row["deleted"]))


def _scope(partner_id: str) -> str:
    return "scope" + "".join(ch if ch.isalnum() else "_" for ch in partner_id.casefold())


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SqliteSearchStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    async def apply(self, entry: Entry) -> bool:
        return await self.apply_many([entry]) == 1

    async def apply_many(self, entries: Sequence[Entry]) -> int:
        db = self._db
        newest = latest(entries)
        db.execute("BEGIN")
        keys = [e.key for e in newest]
        current = {row[0]: (row[1], row[2]) for chunk in _chunks(keys) for row in db.execute(
            f"SELECT key, id, version FROM entries WHERE key IN ({','.join('?' * len(chunk))})", chunk)}
        orgs = sorted({e.org_id for e in newest})
        partners = {row[0]: row[1] for chunk in _chunks(orgs) for row in db.execute(
            f"SELECT entity_id, partner_id FROM entries WHERE kind = 'customer' AND entity_id IN "
            f"({','.join('?' * len(chunk))})", chunk)}
        partners.update({e.entity_id: e.partner_id for e in newest if e.kind == "customer"
                         and (e.key not in current or current[e.key][1] < e.version)})
        changed = 0
        for entry in newest:
            found = current.get(entry.key)
            if found is not None and found[1] >= entry.version:
                continue
            if entry.kind != "customer" and partners.get(entry.org_id, entry.partner_id) != entry.partner_id:
                entry = dataclasses.replace(entry, partner_id=partners[entry.org_id])
            if found is not None:
                db.execute("DELETE FROM documents WHERE rowid = ?", (found[0],))
                db.execute("DELETE FROM entries WHERE id = ?", (found[0],))
            rowid = db.execute(f"INSERT INTO entries (key, {_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                               _row(entry)).lastrowid
            if not entry.deleted:
                db.execute("INSERT INTO documents (rowid, body) VALUES (?, ?)",
                           (rowid, " ".join((_scope(entry.partner_id), *entry.terms))))
            if entry.kind == "customer" and found is not None:
                self._move_members(entry.entity_id, entry.partner_id)
            changed += 1
        db.execute("COMMIT")
        return changed

    def _move_members(self, org_id: str, partner_id: str) -> None:
        moved = self._db.execute(f"SELECT id, {_COLUMNS} FROM entries WHERE org_id = ? AND kind != 'customer' "
                                 "AND partner_id != ?", (org_id, partner_id)).fetchall()
        for row in moved:
            self._db.execute("UPDATE entries SET partner_id = ? WHERE id = ?", (partner_id, row["id"]))
            if not row["deleted"]:
                body = " ".join((_scope(partner_id), *json.loads(row["terms"])))
                self._db.execute("UPDATE documents SET body = ? WHERE rowid = ?", (body, row["id"]))

    async def find(self, clauses: Sequence[Clause], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        if not clauses:
            return []
        match = " AND ".join((_quoted(_scope(partner_id)), *(self._match(c) for c in clauses)))
        rows = self._db.execute(
            # CROSS JOIN: the full-text match drives, the entries are looked up by rowid.
            f"SELECT {_COLUMNS} FROM documents CROSS JOIN entries ON entries.id = documents.rowid "
            "WHERE documents MATCH ? AND entries.partner_id = ? AND (? IS NULL OR entries.org_id = ?)",
            (match, partner_id, org_id, org_id)).fetchall()
        entries = (_entry(row) for row in rows)
        # FTS prefixes also match keys: check each clause exactly.
        return first_of_each_kind((e for e in entries if all(c.satisfied_by(e.terms) for c in clauses)), limit)

    @staticmethod
    def _match(clause: Clause) -> str:
        options = [_quoted(t) for t in sorted(clause.exact)]
        if clause.prefix:
            options.append(_quoted(clause.prefix) + "*")
        return "(" + " OR ".join(options) + ")" if options else '"\x01"'

    async def countries(self, partner_id: str, org_id: str | None) -> frozenset[str]:
        rows = self._db.execute(
            "SELECT DISTINCT country FROM entries WHERE kind = 'customer' AND partner_id = ? AND deleted = 0 "
            "AND (? IS NULL OR entity_id = ?)", (partner_id, org_id, org_id))
        return frozenset(row[0] for row in rows if row[0])

    async def org_names(self, org_ids: Collection[str], partner_id: str) -> dict[str, str]:
        wanted = sorted(org_ids)
        return {row[0]: row[1] for chunk in _chunks(wanted) for row in self._db.execute(
            f"SELECT entity_id, title FROM entries WHERE kind = 'customer' AND partner_id = ? AND deleted = 0 "
            f"AND entity_id IN ({','.join('?' * len(chunk))})", (partner_id, *chunk))}

    async def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))


class ScanSearchStore:
    """No index at all: the baseline every index has to beat."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    async def apply(self, entry: Entry) -> bool:
        current = self._entries.get(entry.key)
        if current is not None and current.version >= entry.version:
            return False
        customer = self._entries.get(f"customer:{entry.org_id}")
        if entry.kind != "customer" and customer is not None and customer.partner_id != entry.partner_id:
            entry = dataclasses.replace(entry, partner_id=customer.partner_id)
        self._entries[entry.key] = entry
        if entry.kind == "customer" and current is not None and current.partner_id != entry.partner_id:
            for key, other in list(self._entries.items()):
                if other.org_id == entry.entity_id and other.kind != "customer":
                    self._entries[key] = dataclasses.replace(other, partner_id=entry.partner_id)
        return True

    async def apply_many(self, entries: Sequence[Entry]) -> int:
        changed = 0
        for entry in latest(entries):
            changed += await self.apply(entry)
        return changed

    async def find(self, clauses: Sequence[Clause], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        return first_of_each_kind((
            entry for entry in self._entries.values()
            if entry.partner_id == partner_id and not entry.deleted and org_id in (None, entry.org_id)
            and all(c.satisfied_by(entry.terms) for c in clauses)), limit)

    async def countries(self, partner_id: str, org_id: str | None) -> frozenset[str]:
        return frozenset(e.country for e in self._entries.values() if e.kind == "customer" and not e.deleted
                         and e.partner_id == partner_id and e.country and org_id in (None, e.entity_id))

    async def org_names(self, org_ids: Collection[str], partner_id: str) -> dict[str, str]:
        found = (self._entries.get(f"customer:{org_id}") for org_id in org_ids)
        return {c.entity_id: c.title for c in found
                if c is not None and not c.deleted and c.partner_id == partner_id}

    async def count(self) -> int:
        return len(self._entries)


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
