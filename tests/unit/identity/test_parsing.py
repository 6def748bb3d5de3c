"""Big imports are parsed in worker processes and applied here, with the same result as parsing in place."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contracts.identity import Device, Order, Org, Partner, User
from services.identity import generator, importing, parsing
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit

BASE = [{"type": "partner", "id": "p1", "name": "Northwind"},
        {"type": "org", "id": "o1", "name": "Acme", "partner_id": "p1", "country": "IT"}]


def user(n: int, **fields: object) -> dict[str, object]:
    return {"type": "user", "id": f"u{n}", "org_id": "o1", "email": f"user{n}@acme.example", "first_name": "Ada",
            "last_name": f"Rossi{n}", "phone_numbers": ["02 1234 5678"], **fields}


async def stream(*records: object) -> AsyncIterator[bytes]:
    yield b"".join(json.dumps(r).encode() + b"\n" for r in records)


@pytest.fixture(scope="module")
def worker() -> Iterator[parsing.LineParser]:
    parser = parsing.LineParser(workers=1)
    yield parser
    parser.close()


async def test_a_big_import_through_a_worker_gives_what_parsing_in_place_gives(worker: parsing.LineParser) -> None:
    many = [user(n) for n in range(parsing.BATCH_LINES * 2 + 10)] + [{"type": "user", "id": "bad"}]
    in_place, through_worker = IdentityStore.memory(), IdentityStore.memory()

    expected = await importing.import_records(stream(*BASE, *many), in_place)
    report = await importing.import_records(stream(*BASE, *many), through_worker, parser=worker)

    assert (report.accepted, report.rejected) == (expected.accepted, expected.rejected)
    assert report.rejected == [{"line": len(many) + 2, "error": "org_id: Field required"}]
    assert await through_worker.get(User, "u4009") == await in_place.get(User, "u4009")
    assert await through_worker.document(User, "u4009") == await in_place.document(User, "u4009")


def customer(n: int, *, licence: dict[str, object] | None = None, quantity: object = 10) -> dict[str, object]:
    return {"type": "org", "id": f"o-{n}", "name": f"Customer {n}", "partner_id": "p1",
            "licenses": [{"sku": "MTG-PRO", "name": "Meetings Pro", "total": 10, "consumed": 1, **(licence or {})}],
            "subscriptions": [{"id": f"s-{n}", "offer": "MTG-PRO", "quantity": quantity, "status": "active"}]}


async def test_a_count_out_of_bounds_is_rejected_through_a_worker_as_in_place(worker: parsing.LineParser) -> None:
    out_of_bounds = [customer(1, licence={"total": 10**30}), customer(2, quantity=-1),
                     customer(3, licence={"consumed": True}), customer(4, quantity=1.5)]
    lines = [*BASE, *out_of_bounds, *[user(n) for n in range(parsing.BATCH_LINES)]]  # the first batch goes out
    in_place, through_worker = IdentityStore.memory(), IdentityStore.memory()

    expected = await importing.import_records(stream(*lines), in_place)
    report = await importing.import_records(stream(*lines), through_worker, parser=worker)

    assert (report.accepted, report.rejected) == (expected.accepted, expected.rejected)
    assert report.rejected == [
        {"line": 3, "error": "licenses.0.total: must be between 0 and 10,000,000"},
        {"line": 4, "error": "subscriptions.0.quantity: must be between 0 and 10,000,000"},
        {"line": 5, "error": "licenses.0.consumed: must be a whole number between 0 and 10,000,000"},
        {"line": 6, "error": "subscriptions.0.quantity: must be a whole number between 0 and 10,000,000"},
    ]


async def test_every_kind_of_entity_comes_back_from_a_worker_as_it_was_read(worker: parsing.LineParser) -> None:
    lines = [(n, json.dumps(r, ensure_ascii=False).encode()) for n, r in enumerate(generator.records(1000, 3), 1)]
    in_place = [parsing.parse_line(n, line) for n, line in lines]

    async def numbered() -> AsyncIterator[tuple[int, bytes]]:
        for item in lines:
            yield item

    through_worker = [p async for p in worker.parse(numbered())]

    assert len(lines) > parsing.BATCH_LINES  # at least one batch goes to the worker
    assert {type(p.entity) for p in through_worker} == {Partner, Org, User, Device, Order}
    assert through_worker == in_place


async def test_a_user_read_in_a_stale_country_is_read_again_in_the_customers_country(
    worker: parsing.LineParser,
) -> None:
    store = IdentityStore.memory()
    await importing.import_records(stream(*BASE, *[user(n) for n in range(parsing.BATCH_LINES)]), store,
                                  parser=worker)
    await importing.import_records(stream({**BASE[1], "country": "FR"}), store)  # not seen by the worker

    await importing.import_records(stream(*[user(n) for n in range(parsing.BATCH_LINES + 1)]), store, parser=worker)

    moved = await store.get(User, "u7")
    assert moved is not None
    assert moved.phone_numbers[0].e164 == "+33212345678"


def desk_phone(n: int) -> dict[str, object]:
    return {"type": "device", "id": f"d{n}", "org_id": "o1", "product": "IP Phone 8865", "serial": f"FOC{n}",
            "mac": f"001a2b3c{n:04x}", "phone_numbers": ["02 1234 5678"]}


async def test_a_device_with_lines_read_in_a_stale_country_is_read_again_in_the_customers_country(
    worker: parsing.LineParser,
) -> None:
    store = IdentityStore.memory()
    await importing.import_records(stream(*BASE, *[user(n) for n in range(parsing.BATCH_LINES)]), store,
                                  parser=worker)
    await importing.import_records(stream({**BASE[1], "country": "FR"}), store)  # not seen by the worker

    report = await importing.import_records(stream(*[desk_phone(n) for n in range(parsing.BATCH_LINES + 1)]), store,
                                            parser=worker)

    assert report.rejected == []
    moved = await store.get(Device, "d7")
    assert moved is not None
    assert moved.phone_numbers[0].e164 == "+33212345678"


async def test_lines_are_read_as_they_arrive_never_the_whole_body_at_once() -> None:
    sent: list[int] = []

    async def slowly() -> AsyncIterator[bytes]:
        for n in range(5):
            sent.append(n)
            yield json.dumps(user(n)).encode() + b"\n"

    async for number, _ in importing.ndjson_lines(slowly()):
        assert len(sent) == number  # the line came out before the next chunk was even asked for


_SERVICE = """
import asyncio, multiprocessing, sys, time
from services.identity import parsing

async def main() -> None:
    parser = parsing.LineParser(2)
    lines = [(n, b'{"type": "partner", "id": "p%d", "name": "P"}' % n) for n in range(1, 2 * parsing.BATCH_LINES + 1)]

    async def numbered():
        for line in lines:
            yield line

    async for _ in parser.parse(numbered()):
        pass
    print(" ".join(str(p.pid) for p in multiprocessing.active_children() if "Process" in type(p).__name__), flush=True)
    time.sleep(60)

asyncio.run(main())
"""


def test_parsing_workers_leave_when_the_service_is_killed() -> None:
    service = subprocess.Popen([sys.executable, "-c", _SERVICE], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[3])
    try:
        assert service.stdout is not None
        workers = [int(pid) for pid in service.stdout.readline().split()]
        assert len(workers) == 2
        assert all(_alive(pid) for pid in workers)
    finally:
        service.kill()  # no shutdown of the pool: the workers are left to notice on their own
        service.wait()

    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing
