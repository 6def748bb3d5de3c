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
from services.identity.domain import phone_number
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


def test_some_customers_have_main_numbers_and_some_desk_and_room_devices_a_line_each_its_own() -> None:
    sample = list(records(3000))
    country = {r["id"]: r.get("country", "US") for r in sample if r["type"] == "org"}

    def e164s(kind: str) -> list[str | None]:
        return [phone_number(typed, country[r["id"] if kind == "org" else r["org_id"]]).e164
                for r in sample if r["type"] == kind for typed in r.get("phone_numbers", [])]

    mains = Counter(len(r.get("phone_numbers", [])) for r in sample if r["type"] == "org")
    lined = [r for r in sample if r["type"] == "device" and r.get("phone_numbers")]
    lines = e164s("org") + e164s("device")

    assert set(mains) == {0, 1, 2, 3}
    assert {len(r["phone_numbers"]) for r in lined} == {1}
    assert {r["product"].split()[0] for r in lined} == {"Desk", "Room", "IP"}
    assert None not in lines
    assert len(set(lines)) == len(lines)
    assert not set(lines) & set(e164s("user"))


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
