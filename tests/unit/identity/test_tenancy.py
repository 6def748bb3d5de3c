"""Identity's views for a partner: another partner's object is not found exactly like an unknown id, with the same
answer and after the same store calls (the structural form of "in the same time"; timings are in
bench/not_found_timing.py, never asserted here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from runtime.bus import InProcessBus
from runtime.documents import Documents
from runtime.outbox import OutboxRelay
from runtime.web import create_app
from services.identity import api, demo, importing
from services.identity.parsing import LineParser
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit

NORTHWIND = "p-northwind"
CONTOSO_RECORDS = [
    {"type": "device", "id": "d-globex1", "org_id": "o-globex", "product": "Room Kit", "serial": "FOC999",
     "mac": "00:1A:2B:3C:4D:99", "owner_user_id": "u-hank"},
    {"type": "order", "number": "WO-900900", "org_id": "o-globex", "placed_at": "2024-02-01T10:00:00Z",
     "status": "provisioned"},
    {"type": "user", "id": "u-gone", "org_id": "o-acme", "email": "gone@acme.example", "first_name": "Gone",
     "last_name": "Away"},
]
# kind: (Northwind's own, Contoso's, unknown)
IDS = {
    "customers": ("o-acme", "o-globex", "o-nobody"),
    "users": ("u-jane", "u-hank", "u-nobody"),
    "devices": ("d-desk1", "d-globex1", "d-nobody"),
    "orders": ("WO-100200", "WO-900900", "WO-000000"),
}

Call = tuple[str, str]


class Recording:
    """Documents that note every call made to them (collection, method), then pass it on."""

    def __init__(self, inner: Documents, calls: list[Call]) -> None:
        self._inner = inner
        self._calls = calls
        self.name = inner.name

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        target = getattr(self._inner, method)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((self.name, method))
            return await target(*args, **kwargs)

        return call


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


@pytest.fixture
async def calls() -> list[Call]:
    return []


@pytest.fixture
async def client(calls: list[Call]) -> AsyncIterator[httpx.AsyncClient]:
    plain = IdentityStore.memory()
    store = IdentityStore({name: Recording(docs, calls) for name, docs in plain.collections.items()})
    extra = "".join(json.dumps(r) + "\n" for r in CONTOSO_RECORDS).encode()
    for body in (demo.ndjson(), extra, b'{"type": "user", "id": "u-gone", "deleted": true}\n'):
        report = await importing.import_records(_once(body), store)
        assert report.rejected == []
    app = create_app("identity", {}, refusals=api.REFUSALS)
    app.include_router(api.router(store, OutboxRelay(list(store.collections.values()), InProcessBus()),
                                  LineParser(0)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://identity") as http:
        yield http


async def _view(client: httpx.AsyncClient, calls: list[Call], kind: str, entity_id: str,
                partner_id: str = NORTHWIND) -> tuple[httpx.Response, list[Call]]:
    calls.clear()
    response = await client.get(f"/internal/{kind}/{entity_id}", params={"partner_id": partner_id})
    return response, list(calls)


@pytest.mark.parametrize("kind", IDS)
async def test_another_partners_object_answers_exactly_like_an_unknown_id(
        client: httpx.AsyncClient, calls: list[Call], kind: str) -> None:
    own, foreign, unknown = IDS[kind]

    mine, _ = await _view(client, calls, kind, own)
    theirs, _ = await _view(client, calls, kind, foreign)
    nobodys, _ = await _view(client, calls, kind, unknown)

    assert mine.status_code == 200
    assert mine.json()["partner_id"] == NORTHWIND
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.content == nobodys.content
    assert theirs.headers["content-length"] == nobodys.headers["content-length"]


@pytest.mark.parametrize("kind", IDS)
async def test_an_unknown_id_and_another_partners_object_make_the_same_store_calls(
        client: httpx.AsyncClient, calls: list[Call], kind: str) -> None:
    own, foreign, unknown = IDS[kind]

    _, for_own = await _view(client, calls, kind, own)
    _, for_foreign = await _view(client, calls, kind, foreign)
    _, for_unknown = await _view(client, calls, kind, unknown)

    assert for_foreign == for_unknown
    assert for_foreign, "the decision reads the store"
    assert all(method == "get" for _, method in for_foreign)
    # Only a managed object gets its view assembled: the same first reads, then more.
    assert for_own[:len(for_foreign)] == for_foreign
    assert len(for_own) > len(for_foreign) or kind == "orders"


async def test_a_deleted_user_and_a_partner_that_manages_nothing_answer_like_an_unknown_id(
        client: httpx.AsyncClient, calls: list[Call]) -> None:
    unknown, for_unknown = await _view(client, calls, "users", "u-nobody")
    deleted, for_deleted = await _view(client, calls, "users", "u-gone")
    nobody, for_nobody = await _view(client, calls, "users", "u-jane", partner_id="")

    assert unknown.status_code == deleted.status_code == nobody.status_code == 404
    assert unknown.content == deleted.content == nobody.content
    assert for_unknown == for_deleted == for_nobody


async def test_a_view_is_only_asked_for_on_behalf_of_a_partner(client: httpx.AsyncClient) -> None:
    response = await client.get("/internal/users/u-jane")

    assert response.status_code == 422
