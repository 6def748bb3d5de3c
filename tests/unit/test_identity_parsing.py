"""Big imports are parsed in worker processes and applied here, with the same result as parsing in place."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from contracts.identity import User
from services.identity import handlers, parsing
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

    expected = await handlers.import_records(stream(*BASE, *many), in_place)
    report = await handlers.import_records(stream(*BASE, *many), through_worker, parser=worker)

    assert (report.accepted, report.rejected) == (expected.accepted, expected.rejected)
    assert report.rejected == [{"line": len(many) + 2, "error": "org_id: Field required"}]
    assert await through_worker.get(User, "u4009") == await in_place.get(User, "u4009")


async def test_a_user_read_in_a_stale_country_is_read_again_in_the_customers_country(
    worker: parsing.LineParser,
) -> None:
    store = IdentityStore.memory()
    await handlers.import_records(stream(*BASE, *[user(n) for n in range(parsing.BATCH_LINES)]), store,
                                  parser=worker)
    await handlers.import_records(stream({**BASE[1], "country": "FR"}), store)  # not seen by the worker

    await handlers.import_records(stream(*[user(n) for n in range(parsing.BATCH_LINES + 1)]), store, parser=worker)

    moved = await store.get(User, "u7")
    assert moved is not None
    assert moved.phone_numbers[0].e164 == "+33212345678"


async def test_lines_are_read_as_they_arrive_never_the_whole_body_at_once() -> None:
    sent: list[int] = []

    async def slowly() -> AsyncIterator[bytes]:
        for n in range(5):
            sent.append(n)
            yield json.dumps(user(n)).encode() + b"\n"

    async for number, _ in handlers.ndjson_lines(slowly()):
        assert len(sent) == number  # the line came out before the next chunk was even asked for
