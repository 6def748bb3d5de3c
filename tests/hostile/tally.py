"""How many cases a hostile-input test tried: reported at the end of the run and kept in the JUnit XML, so the
figures in docs/reliability.md can be read off any CI log."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    test: str
    cases: Counter[str] = field(default_factory=Counter)

    def add(self, what: str, count: int = 1) -> None:
        self.cases[what] += count

    @property
    def total(self) -> int:
        return sum(self.cases.values())
