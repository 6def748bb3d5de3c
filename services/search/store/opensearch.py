"""The read model on OpenSearch, shared by every replica: queries are stateless, indexing scales by partitions.

Two indices, named from one prefix:

- `<prefix>-entries`: one document per live place of an entry, routed by the partner that manages its customer, so
  an agent's query reads one shard. Its id names the partner (`partner|kind:id`): when a customer moves to another
  partner its entries are written under the new partner and deleted under the old, whichever shards those are.
- `<prefix>-placements`: one small document per entity (`kind:id`, not routed) saying where its entry lives now
  and at which version. It is read by id, which OpenSearch answers in real time, unlike a search: it is how a write
  finds an entry's previous place and its customer's partner, how versions are kept monotonic (external
  versioning: a redelivered or older event changes nothing) and where customers' names and countries are read.

Moves follow the customer's placement: an entry is written under the partner its customer's placement names, then
the placement is read again and the entry moved if the customer moved meanwhile; a customer's move sweeps its
entries still under another partner. Between the two steps of a move a query double-checks each hit's customer.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as EngineUnreachable
from opensearchpy.exceptions import RequestError, TransportError

from services.search.domain import KINDS, Entry, is_word, latest
from services.search.query import Clause

Doc = dict[str, Any]
_KEYWORD = {"type": "keyword"}
_STORED = {"type": "keyword", "index": False, "doc_values": False}
ENTRIES_MAPPING: Doc = {
    "dynamic": "strict",
    "_routing": {"required": True},
    "properties": {
        "kind": _KEYWORD, "entity_id": _KEYWORD, "org_id": _KEYWORD, "partner_id": _KEYWORD,
        "version": {"type": "long"}, "title": _STORED, "subtitle": _STORED, "sort": _KEYWORD,
        "terms": _KEYWORD,  # every term, matched whole
        "words": _KEYWORD,  # the terms an agent may type partly (prefix queries)
        "fields": {"type": "object", "enabled": False}, "country": _KEYWORD, "deleted": {"type": "boolean"},
    },
}
PLACEMENTS_MAPPING: Doc = {
    "dynamic": "strict",
    "properties": {
        "kind": _KEYWORD, "org_id": _KEYWORD, "partner_id": _KEYWORD, "title": _STORED, "country": _KEYWORD,
        "deleted": {"type": "boolean"},
    },
}
_SWEEP_PAGE = 500
_SWEEP_CUSTOMERS = 400


@dataclasses.dataclass(frozen=True)
class Placement:
    partner_id: str
    version: int


def _entry_id(partner_id: str, key: str) -> str:
    return f"{partner_id}|{key}"


def _to_doc(entry: Entry) -> Doc:
    return {
        "kind": entry.kind, "entity_id": entry.entity_id, "org_id": entry.org_id, "partner_id": entry.partner_id,
        "version": entry.version, "title": entry.title, "subtitle": entry.subtitle, "sort": entry.title.casefold(),
        "terms": list(entry.terms), "words": [t for t in entry.terms if is_word(t)],
        "fields": [[name, value] for name, value in entry.fields], "country": entry.country, "deleted": entry.deleted,
    }


def _from_doc(doc: Doc) -> Entry:
    return Entry(doc["kind"], doc["entity_id"], doc["org_id"], doc["partner_id"], doc["version"], doc["title"],
                 doc["subtitle"], tuple(doc["terms"]), tuple((n, v) for n, v in doc["fields"]), doc["country"],
                 doc["deleted"])


def _placement_doc(entry: Entry) -> Doc:
    return {"kind": entry.kind, "org_id": entry.org_id, "partner_id": entry.partner_id, "title": entry.title,
            "country": entry.country, "deleted": entry.deleted}


def _clause(clause: Clause) -> Doc:
    should: list[Doc] = [{"terms": {"terms": sorted(clause.exact)}}]
    if clause.prefix and is_word(clause.prefix):
        should.append({"prefix": {"words": clause.prefix}})
    return should[0] if len(should) == 1 else {"bool": {"should": should, "minimum_should_match": 1}}


class Overwhelmed(Exception):
    """OpenSearch turned writes away for now: 429 (its write queue or a circuit breaker is full), 502/503/504 (no
    cluster manager, a shard not available yet, a proxy in front of it without an answer)."""


# Reasons to wait for OpenSearch rather than give up on an event: it cannot be reached or answers too late (the
# client's timeouts are connection errors too), or it turned the writes away for now, one by one in a bulk answer
# (_TRANSIENT) or the whole request (_PUT_OFF).
_TRANSIENT = frozenset((429, 503))
_PUT_OFF = frozenset((429, 502, 503, 504))


class OpenSearchSearchStore:
    UNREACHABLE: tuple[type[Exception], ...] = (EngineUnreachable, Overwhelmed)

    def __init__(self, client: AsyncOpenSearch, prefix: str = "helpdesk-search", *, shards: int = 1,
                 replicas: int = 0, refresh_interval: str = "1s", visible_at_once: bool = False) -> None:
        """`visible_at_once`: each write waits for a refresh, so a search right after it finds it (for tests and
        tools); otherwise writes become searchable within `refresh_interval`."""
        self.client = client
        self._refresh = "true" if visible_at_once else "false"
        self._indexed = False  # whether both indices are known to exist (writes never create them by accident)
        self.prefix = prefix
        self.entries = f"{prefix}-entries"
        self.placements = f"{prefix}-placements"
        self._settings: Doc = {"number_of_shards": shards, "number_of_replicas": replicas,
                               "refresh_interval": refresh_interval}

    # ---------------------------------------------------------------- indices

    def _body(self, mapping: Doc, alias: str | None = None) -> Doc:
        return {"settings": self._settings, "mappings": mapping, **({"aliases": {alias: {}}} if alias else {})}

    async def create_indexes(self) -> None:
        """Create both indices unless they exist (every replica does this at start). Each name is an alias of
        its first generation, so a rebuild can put another generation in its place at once."""
        for alias, mapping in ((self.entries, ENTRIES_MAPPING), (self.placements, PLACEMENTS_MAPPING)):
            if await self.client.indices.exists(index=alias):
                continue
            try:
                await self.client.indices.create(index=f"{alias}-1", body=self._body(mapping, alias))
            except RequestError as error:  # another replica created it first
                if error.error != "resource_already_exists_exception":
                    raise
        self._indexed = True

    async def scratch(self) -> OpenSearchSearchStore:
        """Empty indices of a new generation beside these, to rebuild into; queries do not see them yet."""
        generation = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        scratch = OpenSearchSearchStore(self.client, self.prefix)
        scratch._settings, scratch._refresh, scratch._indexed = self._settings, self._refresh, True
        scratch.entries, scratch.placements = f"{self.entries}-{generation}", f"{self.placements}-{generation}"
        await scratch.drop()
        for name, mapping in ((scratch.entries, ENTRIES_MAPPING), (scratch.placements, PLACEMENTS_MAPPING)):
            await self.client.indices.create(index=name, body=self._body(mapping))
        return scratch

    async def replace_with(self, scratch: OpenSearchSearchStore) -> None:
        """Point both names at a rebuilt generation in one step, then drop the generation they named."""
        actions: list[Doc] = []
        old: list[str] = []
        for alias, index in ((self.entries, scratch.entries), (self.placements, scratch.placements)):
            current = await self.client.indices.get_alias(name=alias, ignore_unavailable=True)
            old += [name for name in current if name != index]
            actions += [{"remove": {"index": name, "alias": alias}} for name in current if name != index]
            actions.append({"add": {"index": index, "alias": alias}})
        await self.client.indices.update_aliases(body={"actions": actions})
        if old:
            await self.client.indices.delete(index=",".join(old), ignore_unavailable=True)

    async def drop(self) -> None:
        """Delete both indices (every generation, when these are names of aliases)."""
        for name in (self.entries, self.placements):
            if await self.client.indices.exists_alias(name=name):
                found = await self.client.indices.get_alias(name=name)
                await self.client.indices.delete(index=",".join(found), ignore_unavailable=True)
            else:
                await self.client.indices.delete(index=name, ignore_unavailable=True)

    async def refresh(self) -> None:
        """Make every write so far visible to searches (OpenSearch does so by itself each refresh interval)."""
        await self.client.indices.refresh(index=f"{self.entries},{self.placements}")

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    # ---------------------------------------------------------------- writes

    async def apply(self, entry: Entry) -> bool:
        return await self.apply_many([entry]) > 0

    async def apply_many(self, entries: Sequence[Entry]) -> int:
        try:
            return await self._apply_many(entries)
        except TransportError as error:  # the whole request answered "not now": wait, as for single writes put off
            if error.status_code in _PUT_OFF:
                raise Overwhelmed(f"OpenSearch answered {error.status_code}: {error.error}") from error
            raise

    async def _apply_many(self, entries: Sequence[Entry]) -> int:
        if not self._indexed:  # a consumer may start before the service's start-up step made them
            await self.create_indexes()
        newest = latest(entries)
        customers = [e for e in newest if e.kind == "customer"]
        members = [e for e in newest if e.kind != "customer"]
        changed = await self._apply_customers(customers) if customers else 0
        return changed + (await self._apply_members(members) if members else 0)

    async def _apply_customers(self, customers: list[Entry]) -> int:
        placed = await self._placed(e.key for e in customers)
        operations: list[Doc] = []
        written: list[int] = []  # the line of the action placing each customer written anew
        moved: list[tuple[Entry, Placement]] = []
        # Customers whose entries may be under another partner: new ones (their members may have come first,
        # naming an older partner), moved ones, and ones seen before at this version (a failed try may have left
        # their move half done).
        sweep: dict[str, str] = {}
        for entry in customers:
            old = placed.get(entry.key)
            if old is not None and old.version > entry.version:
                continue
            if old is not None and old.version == entry.version:
                operations += self._put_entry(entry, gte=True)
            else:
                written.append(len(operations))
                operations += self._put_placement(entry) + self._put_entry(entry)
                if old is not None and old.partner_id != entry.partner_id:
                    moved.append((entry, old))
                elif old is not None:
                    continue
            sweep[entry.entity_id] = entry.partner_id
        applied = await self._bulk(operations)
        await self._bulk([op for entry, old in moved
                          for op in self._delete_entry(old.partner_id, entry.key, old.version)])
        await self._sweep(sweep)
        return sum(1 for action in written if applied[action])

    async def _apply_members(self, members: list[Entry]) -> int:
        keys = {e.key for e in members} | {f"customer:{e.org_id}" for e in members}
        placed = await self._placed(keys)
        operations: list[Doc] = []
        written: list[Entry] = []
        new: list[int] = []  # the line of the action placing each entry written anew
        for entry in members:
            customer = placed.get(f"customer:{entry.org_id}")
            if customer is not None and customer.partner_id != entry.partner_id:
                entry = dataclasses.replace(entry, partner_id=customer.partner_id)
            old = placed.get(entry.key)
            if old is not None and old.version > entry.version:
                continue
            gte = old is not None and old.version == entry.version  # seen: make sure it is in place
            if not gte:
                new.append(len(operations))
            operations += self._put_placement(entry, gte=gte) + self._put_entry(entry, gte=gte)
            if old is not None and old.partner_id != entry.partner_id:
                operations += self._delete_entry(old.partner_id, entry.key, old.version)
            written.append(entry)
        applied = await self._bulk(operations)
        # The customer may have moved while these were written, after its sweep had looked: follow it.
        now = await self._placed({f"customer:{e.org_id}" for e in written})
        late = [(e, now[f"customer:{e.org_id}"].partner_id) for e in written
                if f"customer:{e.org_id}" in now and now[f"customer:{e.org_id}"].partner_id != e.partner_id]
        if late:
            await self._move(late)
        return sum(1 for action in new if applied[action])

    async def _sweep(self, partners: Mapping[str, str]) -> None:
        """Move these customers' entries (org id → the partner that manages it now) kept under another partner."""
        customers = list(partners.items())
        for start in range(0, len(customers), _SWEEP_CUSTOMERS):  # a query holds at most 1,024 clauses
            await self._sweep_some(dict(customers[start:start + _SWEEP_CUSTOMERS]))

    async def _sweep_some(self, partners: Mapping[str, str]) -> None:
        if not partners:
            return
        query = {"bool": {
            "should": [{"bool": {"filter": [{"term": {"org_id": org_id}}],
                                 "must_not": [{"term": {"partner_id": partner_id}}]}}
                       for org_id, partner_id in partners.items()],
            "minimum_should_match": 1, "must_not": [{"term": {"kind": "customer"}}]}}
        while True:
            await self.client.indices.refresh(index=self.placements)
            found = await self.client.search(index=self.placements, body={"query": query, "size": _SWEEP_PAGE,
                                                                          "_source": ["partner_id"]})
            hits = found["hits"]["hits"]
            if not hits:
                return
            stale = await self.client.mget(body={"docs": [
                {"_index": self.entries, "_id": _entry_id(h["_source"]["partner_id"], h["_id"]),
                 "routing": h["_source"]["partner_id"]} for h in hits]})
            entries = [_from_doc(d["_source"]) for d in stale["docs"] if d.get("found")]
            await self._move([(e, partners[e.org_id]) for e in entries])
            if len(hits) < _SWEEP_PAGE or not entries:  # nothing moved: looking again would find the same
                return

    async def _move(self, moves: Iterable[tuple[Entry, str]]) -> None:
        """Write each entry under its new partner at the same version, then delete it under the old one."""
        operations: list[Doc] = []
        for entry, partner_id in moves:
            moved = dataclasses.replace(entry, partner_id=partner_id)
            operations += self._put_placement(moved, gte=True) + self._put_entry(moved, gte=True)
            operations += self._delete_entry(entry.partner_id, entry.key, entry.version)
        await self._bulk(operations)

    def _put_entry(self, entry: Entry, *, gte: bool = False) -> list[Doc]:
        return [{"index": {"_index": self.entries, "_id": _entry_id(entry.partner_id, entry.key),
                           "routing": entry.partner_id, "version": entry.version,
                           "version_type": "external_gte" if gte else "external"}}, _to_doc(entry)]

    def _put_placement(self, entry: Entry, *, gte: bool = False) -> list[Doc]:
        return [{"index": {"_index": self.placements, "_id": entry.key, "version": entry.version,
                           "version_type": "external_gte" if gte else "external"}}, _placement_doc(entry)]

    def _delete_entry(self, partner_id: str, key: str, version: int) -> list[Doc]:
        """Delete an entry's copy under a partner, unless a newer version was written there meanwhile. The version
        is given so the deletion remembers it: an entry moved back later, at that version, is not refused."""
        return [{"delete": {"_index": self.entries, "_id": _entry_id(partner_id, key), "routing": partner_id,
                            "version": version, "version_type": "external_gte"}}]

    async def _bulk(self, operations: list[Doc]) -> dict[int, bool]:
        """Run the operations (action lines, each followed by its document but for deletes); for each action, by
        the number of its line, whether it was applied (False: an equal or newer version is there).

        Anything else (a mapping refused, a shard down) raises, so the batch is tried again and nothing is lost.
        """
        if not operations:
            return {}
        answer = await self.client.bulk(body=operations, refresh=self._refresh)
        lines: list[int] = []
        line = 0
        while line < len(operations):
            lines.append(line)
            line += 1 if "delete" in operations[line] else 2
        applied: dict[int, bool] = {}
        failures: list[Doc] = []
        for line, item in zip(lines, answer["items"], strict=True):
            (action, result), = item.items()
            status = result.get("status", 500)
            if status < 300 or (action == "delete" and status == 404):
                applied[line] = True
            elif status == 409:
                applied[line] = False
            else:
                failures.append(result)
        if failures and all(failure.get("status") in _TRANSIENT for failure in failures):
            raise Overwhelmed(f"OpenSearch put off {len(failures)} writes, first: {failures[0].get('error')}")
        if failures:
            raise RuntimeError(f"OpenSearch refused {len(failures)} writes, first: {failures[0].get('error')}")
        return applied

    async def _placed(self, keys: Iterable[str]) -> dict[str, Placement]:
        ids = sorted(set(keys))
        if not ids:
            return {}
        found = await self.client.mget(index=self.placements, body={"ids": ids}, _source=["partner_id"])
        return {d["_id"]: Placement(d["_source"]["partner_id"], d["_version"]) for d in found["docs"] if d.get("found")}

    async def _placement_docs(self, keys: Collection[str]) -> dict[str, Doc]:
        if not keys:
            return {}
        found = await self.client.mget(index=self.placements, body={"ids": sorted(keys)})
        return {d["_id"]: d["_source"] for d in found["docs"] if d.get("found")}

    # ---------------------------------------------------------------- reads

    async def find(self, clauses: Sequence[Clause], partner_id: str, org_id: str | None, limit: int
                   ) -> list[Entry]:
        if not clauses:
            return []
        scope: list[Doc] = [{"term": {"partner_id": partner_id}}, {"term": {"deleted": False}}]
        if org_id is not None:
            scope.append({"term": {"org_id": org_id}})
        conditions = [_clause(c) for c in clauses]
        searches: list[Doc] = []
        for kind in KINDS:
            searches.append({"index": self.entries, "routing": partner_id})
            searches.append({"query": {"bool": {"filter": [*scope, {"term": {"kind": kind}}, *conditions]}},
                             "sort": [{"sort": "asc"}, {"entity_id": "asc"}], "size": limit,
                             "track_total_hits": False})
        answers = await self.client.msearch(body=searches)
        found: list[Entry] = []
        for answer in answers["responses"]:
            if "error" in answer:
                raise RuntimeError(f"OpenSearch could not search: {answer['error']}")
            found += (_from_doc(hit["_source"]) for hit in answer["hits"]["hits"])
        return await self._still_managed(found, partner_id)

    async def _still_managed(self, found: list[Entry], partner_id: str) -> list[Entry]:
        """Drop entries of customers that another partner manages now (only seen while a move is under way)."""
        org_keys = {f"customer:{e.org_id}" for e in found if e.kind != "customer"}
        if not org_keys:
            return found
        managers = {key: p.partner_id for key, p in (await self._placed(org_keys)).items()}
        return [e for e in found
                if e.kind == "customer" or managers.get(f"customer:{e.org_id}", partner_id) == partner_id]

    async def countries(self, partner_id: str, org_id: str | None) -> frozenset[str]:
        if org_id is not None:
            doc = (await self._placement_docs({f"customer:{org_id}"})).get(f"customer:{org_id}")
            if doc is None or doc["deleted"] or doc["partner_id"] != partner_id or not doc["country"]:
                return frozenset()
            return frozenset((doc["country"],))
        answer = await self.client.search(index=self.placements, body={
            "size": 0, "query": {"bool": {"filter": [{"term": {"kind": "customer"}},
                                                     {"term": {"partner_id": partner_id}},
                                                     {"term": {"deleted": False}}]}},
            "aggs": {"countries": {"terms": {"field": "country", "size": 300}}}})
        return frozenset(b["key"] for b in answer["aggregations"]["countries"]["buckets"] if b["key"])

    async def org_names(self, org_ids: Collection[str], partner_id: str) -> dict[str, str]:
        docs = await self._placement_docs({f"customer:{o}" for o in org_ids})
        return {key.removeprefix("customer:"): doc["title"] for key, doc in docs.items()
                if not doc["deleted"] and doc["partner_id"] == partner_id}

    async def count(self) -> int:
        answer: Mapping[str, Any] = await self.client.count(index=self.placements)
        return int(answer["count"])

    async def close(self) -> None:
        await self.client.close()

