"""An in-memory import hands what it wrote over as long-lived, and leaves no garbage the collector cannot reach."""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from helpdesk.runtime import heap
from helpdesk.runtime.bus import InProcessBus
from services.identity import app as identity_app
from services.identity import handlers
from services.identity.config import IdentitySettings
from services.identity.parsing import BATCH_LINES
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def nothing_frozen() -> Iterator[None]:
    heap.frozen_garbage()
    yield
    heap.frozen_garbage()


def ndjson(users: int) -> bytes:
    records: list[dict[str, object]] = [
        {"type": "partner", "id": "p1", "name": "Northwind"},
        {"type": "org", "id": "o1", "name": "Acme", "partner_id": "p1"},
    ]
    records += [{"type": "user", "id": f"u{n}", "org_id": "o1", "email": f"user{n}@acme.example",
                 "first_name": "Jane", "last_name": f"Doe{n}", "phone_numbers": ["+1 415 555 0100"]}
                for n in range(users)]
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


async def body(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_the_batch_hook_follows_every_batch_of_lines_good_or_bad() -> None:
    calls: list[int] = []
    data = ndjson(2 * BATCH_LINES) + b"{oops\n"  # 2 * BATCH_LINES + 3 lines

    report = await handlers.import_records(body(data), IdentityStore.memory(), on_batch=lambda: calls.append(1))

    assert report.accepted == 2 * BATCH_LINES + 2
    assert len(calls) == 2


async def test_an_in_memory_import_freezes_its_data_and_no_cycle_with_it() -> None:
    bus = InProcessBus()
    service = identity_app.build(IdentitySettings(storage="memory", import_workers=0), IdentityStore.memory(),
                                 bus, {})
    transport = httpx.ASGITransport(app=service.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
        response = await client.post("/internal/import", content=ndjson(3 * BATCH_LINES))
        assert response.json()["accepted"] == 3 * BATCH_LINES + 2

        assert gc.get_freeze_count() > 3 * BATCH_LINES  # each user's document and events at least
        assert heap.frozen_garbage() == 0


async def test_an_import_into_mongodb_leaves_the_collector_alone() -> None:
    service = identity_app.build(IdentitySettings(storage="mongo", import_workers=0), IdentityStore.memory(),
                                 InProcessBus(), {})
    transport = httpx.ASGITransport(app=service.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
        response = await client.post("/internal/import", content=ndjson(BATCH_LINES))
        assert response.json()["accepted"] == BATCH_LINES + 2

        assert gc.get_freeze_count() == 0
