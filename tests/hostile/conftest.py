"""The hostile-input tests count the cases they try, and the run ends with one line per test saying how many; most
of them drive the embedded product."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from tests.hostile.tally import Tally
from tests.product import Product, running

_TALLIES = pytest.StashKey[list[Tally]]()


@pytest.fixture
def tally(request: pytest.FixtureRequest, record_property: Callable[[str, object], None]) -> Iterator[Tally]:
    counted = Tally(request.node.nodeid)
    yield counted
    record_property("cases", counted.total)
    request.config.stash.setdefault(_TALLIES, []).append(counted)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    tallies = config.stash.get(_TALLIES, [])
    if not tallies:
        return
    terminalreporter.section("hostile input: cases tried")
    for counted in tallies:
        terminalreporter.write_line(f"{counted.total:>8}  {counted.test}")


@pytest.fixture
async def product() -> AsyncIterator[Product]:
    """The embedded product with the demo data, default settings, and a client of its gateway."""
    async with running() as started:
        yield started
