"""The synthetic dataset: deterministic, realistic in its variety, and every record valid."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk.cli import cli
from services.identity import demo, importing
from services.identity.generator import Scale, records
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit


async def stream(items: list[dict[str, object]]) -> AsyncIterator[bytes]:
    yield b"".join(json.dumps(r).encode() + b"\n" for r in items)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    assert list(records(200, seed=3)) == list(records(200, seed=3))
    assert list(records(200, seed=3)) != list(records(200, seed=4))


def test_a_dataset_has_the_promised_proportions() -> None:
    scale = Scale(5000)

    counts = Counter(r["type"] for r in records(scale.users))

    assert sum(counts.values()) == scale.records
    assert counts["device"] == scale.devices == 5000
    assert counts["order"] == scale.orders == 500
    assert counts["org"] == scale.orgs + scale.partners + 1
    assert counts["user"] == scale.users + 2 * scale.partners + 1


def test_the_data_is_written_the_many_ways_people_write_it() -> None:
    sample = list(records(3000))
    names = " ".join(str(r["first_name"]) + " " + str(r["last_name"]) for r in sample if r["type"] == "user")
    phones = [p for r in sample if r["type"] == "user" for p in r.get("phone_numbers", [])]  # type: ignore[attr-defined]
    macs = [str(r["mac"]) for r in sample if r["type"] == "device"]

    assert re.search(r"[éèüöåøñçłś]", names)
    assert any(p.startswith("+") for p in phones)
    assert any(p.startswith("0") and not p.startswith("00") for p in phones)
    assert any(p.startswith("00") for p in phones)
    assert {_notation(m) for m in macs} == {":", "-", ".", "none"}


def _notation(mac: str) -> str:
    return ":" if ":" in mac else "-" if "-" in mac else "." if "." in mac else "none"


@pytest.mark.parametrize("over_the_demo", [False, True])
async def test_every_generated_record_is_accepted_by_the_import(over_the_demo: bool) -> None:
    store = IdentityStore.memory()
    if over_the_demo:  # as `helpdesk seed --url` sends it to the embedded product
        await importing.import_records(stream(demo.RECORDS), store)

    report = await importing.import_records(stream(list(records(2000, seed=11))), store)

    assert report.rejected == []
    assert report.accepted == Scale(2000).records


def test_seed_writes_ndjson_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "data.ndjson"

    result = CliRunner().invoke(cli, ["seed", "--scale", "50", "--out", str(out)])

    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == Scale(50).records
    assert json.loads(lines[0])["type"] == "partner"
