"""Hits grouped by kind, best first, each saying which of its fields matched: pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.search.domain import KINDS, Entry, field_terms
from services.search.query import Interpretation, Plan, Reading, Tier

MATCHES = {Tier.IDENTIFIER: "identifier", Tier.WORDS: "exact", Tier.PREFIX: "prefix", Tier.TYPO: "typo"}


@dataclass(frozen=True)
class Hit:
    entry: Entry
    tier: Tier
    field: str
    value: str

    def sort_key(self) -> tuple[int, str, str]:
        return self.tier, self.entry.title.casefold(), self.entry.entity_id

    def shape(self, org_names: Mapping[str, str]) -> dict[str, Any]:
        """The hit as the search bar shows it; `org_names` names the customers of users, devices and orders."""
        entry = self.entry
        org_name = entry.title if entry.kind == "customer" else org_names.get(entry.org_id)
        return {"id": entry.entity_id, "org_id": entry.org_id, "org_name": org_name, "title": entry.title,
                "subtitle": entry.subtitle, "matched": {"field": self.field, "value": self.value},
                "match": MATCHES[self.tier]}


def matched_field(entry: Entry, plan: Plan) -> tuple[str, str]:
    """The field that satisfies most of the plan's clauses: why the agent sees this result."""
    best, best_score = ("id", entry.entity_id), 0
    for name, value in entry.fields:
        terms = field_terms(name, value)
        score = sum(clause.satisfied_by(terms) for clause in plan.clauses)
        if score > best_score:
            best, best_score = (name, value), score
    return best


@dataclass
class Results:
    limit: int
    hits: dict[str, Hit] = field(default_factory=dict)
    used: list[Interpretation] = field(default_factory=list)

    def full(self) -> bool:
        counts = {kind: 0 for kind in KINDS}
        for hit in self.hits.values():
            counts[hit.entry.kind] += 1
        return all(n >= self.limit for n in counts.values())

    def add(self, plan: Plan, entries: list[Entry]) -> None:
        """Keep what the plan found that no better plan found already."""
        new = 0
        for entry in entries:
            if entry.key not in self.hits:
                self.hits[entry.key] = Hit(entry, plan.tier, *matched_field(entry, plan))
                new += 1
        if new and plan.interpretation not in self.used:
            self.used.append(plan.interpretation)

    def shown(self) -> dict[str, list[Hit]]:
        """The hits the response lists, by kind, best first, at most `limit` of each."""
        groups: dict[str, list[Hit]] = {kind: [] for kind in KINDS}
        for hit in self.hits.values():
            groups[hit.entry.kind].append(hit)
        return {kind: sorted(hits, key=Hit.sort_key)[: self.limit] for kind, hits in groups.items()}

    def member_org_ids(self) -> set[str]:
        """The customers of the users, devices and orders shown: whose names the response needs."""
        return {hit.entry.org_id for kind, hits in self.shown().items() if kind != "customer" for hit in hits}

    def response(self, reading: Reading, org_names: Mapping[str, str]) -> dict[str, Any]:
        interpretations = self.used or list(reading.interpretations)
        return {
            "q": reading.text,
            "interpretations": [{"kind": i.kind, "value": i.value} for i in interpretations],
            **{f"{kind}s": [h.shape(org_names) for h in hits] for kind, hits in self.shown().items()},
        }
