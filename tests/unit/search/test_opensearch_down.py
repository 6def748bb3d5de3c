"""The search service on OpenSearch, with OpenSearch unreachable: not ready, and queries answer 503 at once; writes
it turns away for now are waited for."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import RequestError, TransportError

from runtime.bus import InProcessBus
from runtime.service import Infrastructure
from services.search import app
from services.search.config import SearchSettings
from services.search.store import OpenSearchSearchStore
from services.search.store.opensearch import Overwhelmed


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


async def test_queries_answer_503_with_retry_after_while_opensearch_is_unreachable() -> None:
    settings = SearchSettings(store="opensearch", opensearch_url=f"http://127.0.0.1:{closed_port()}",
                              opensearch_timeout_seconds=1)
    service = app.build(settings, Infrastructure(InProcessBus()))
    transport = httpx.ASGITransport(app=service.api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://search") as client:
        answer = await client.get("/internal/search", params={"q": "jane", "partner_id": "p1"})
        ready = await client.get("/readyz")
    await service.stop()

    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "5"
    assert answer.json()["error"]["code"] == "service_unavailable"
    assert "Search is unavailable" in answer.json()["error"]["message"]
    assert ready.status_code == 503


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_a_write_opensearch_turns_away_as_a_whole_is_waited_for(status: int) -> None:
    store = OpenSearchSearchStore(AsyncOpenSearch("http://127.0.0.1:1"), "test")
    store._apply_many = _answering(TransportError(status, "cluster_block_exception", {}))  # type: ignore[method-assign]

    with pytest.raises(Overwhelmed):
        await store.apply_many([])
    await store.close()


async def test_a_write_opensearch_refuses_for_its_own_sake_is_not_waited_for() -> None:
    store = OpenSearchSearchStore(AsyncOpenSearch("http://127.0.0.1:1"), "test")
    store._apply_many = _answering(RequestError(400, "mapper_parsing_exception", {}))  # type: ignore[method-assign]

    with pytest.raises(RequestError):
        await store.apply_many([])
    await store.close()


def _answering(error: Exception) -> Any:
    async def apply_many(entries: Any) -> int:
        raise error
    return apply_many
