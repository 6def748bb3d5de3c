"""What identity answers when every write meets another writer's newer version: the line or request is refused with
a message that says to try again, and nothing else is stopped or half-written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from runtime.bus import InProcessBus
from runtime.documents import Doc, Documents, VersionConflict
from runtime.outbox import OutboxRelay
from runtime.web import create_app
from services.identity import api, demo, importing
from services.identity.parsing import LineParser
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit


class Overtaken:
    """Documents that read as they are, but whose every write finds that someone else wrote first."""

    def __init__(self, inner: Documents) -> None:
        self._inner = inner
        self.name = inner.name

    def __getattr__(self, method: str) -> Any:
        return getattr(self._inner, method)

    async def save(self, doc: Doc, **_: Any) -> None:
        raise VersionConflict(doc["_id"])


async def once(body: bytes) -> AsyncIterator[bytes]:
    yield body


@pytest.fixture
async def busy() -> IdentityStore:
    plain = IdentityStore.memory()
    report = await importing.import_records(once(demo.ndjson()), plain)
    assert report.rejected == []
    return IdentityStore({name: Overtaken(docs) for name, docs in plain.collections.items()})  # type: ignore[misc]


async def test_a_line_that_keeps_being_overtaken_is_rejected_to_be_imported_again(busy: IdentityStore) -> None:
    lines = [{"type": "partner", "id": "p-northwind", "name": "Renamed"},
             {"type": "user", "id": "u-hank", "deleted": True},
             {"type": "partner", "id": "p-northwind", "name": "Northwind Partners"}]

    report = await importing.import_records(once(b"".join(json.dumps(r).encode() + b"\n" for r in lines)), busy)

    assert report.accepted == 1  # unchanged: nothing to write
    assert report.rejected == [
        {"line": 1, "error": "'p-northwind' is being changed by someone else; import it again"},
        {"line": 2, "error": "'u-hank' is being changed by someone else; delete it again"},
    ]


async def test_a_level_change_that_keeps_being_overtaken_is_a_409(busy: IdentityStore) -> None:
    app = create_app("identity", {}, refusals=api.REFUSALS)
    app.include_router(api.router(busy, OutboxRelay(list(busy.collections.values()), InProcessBus()), LineParser(0)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://identity") as http:
        response = await http.delete("/internal/partners/p-northwind/helpdesk-agents/u-agent")

    assert response.status_code == 409
    assert response.json() == {"error": {"code": "conflict", "message": "This user is being changed by someone "
                                                                         "else. Please try again."}}
