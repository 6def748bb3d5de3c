"""OpenSearch out of reach while the search service reads identity's events from the real Kafka: the events wait
for it, none is set aside on the dead-letter topic, and all are searchable once it is back. The outage is a proxy
in front of the shared OpenSearch node, cut and restored by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opensearchpy import AsyncOpenSearch

from helpdesk.cluster import delete_topics
from runtime import dead_letters, metrics
from runtime.kafka import KafkaBus
from runtime.service import Infrastructure
from services.search import app, handlers
from services.search.config import SearchSettings
from services.search.store import OpenSearchSearchStore
from tests.factories import org_upserted, user_upserted
from tests.proxy import Proxy, proxy_to
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

USERS = 200
ATTEMPTS = 2  # what a message that fails for its own sake gets before it is set aside


@pytest.fixture
async def proxy(opensearch_url: str) -> AsyncIterator[Proxy]:
    host, port = opensearch_url.split("//", 1)[1].rsplit(":", 1)
    with proxy_to(host, int(port)) as started:
        yield started


def failed_attempts() -> float:
    return metrics.REGISTRY.get_sample_value(
        "helpdesk_events_failed_total", {"group": "search", "topic": "identity.users"}) or 0.0


async def test_events_read_while_opensearch_is_unreachable_wait_for_it_and_none_is_dead_lettered(
    proxy: Proxy, kafka_bootstrap: str, opensearch_url: str, unique: str
) -> None:
    prefix = f"t{unique}."
    settings = SearchSettings(store="opensearch", opensearch_url=proxy.url, opensearch_index=f"test-{unique}",
                              opensearch_timeout_seconds=2, opensearch_refresh_interval="100ms")
    bus = KafkaBus(kafka_bootstrap, client_id="search-test", topic_prefix=prefix, attempts=ATTEMPTS)
    service = app.build(settings, Infrastructure(bus))
    service.attach(bus)
    direct = OpenSearchSearchStore(AsyncOpenSearch(opensearch_url, timeout=30), settings.opensearch_index)
    users = [user_upserted(partner_id="p1", id=f"u{n}", org_id="o1", first_name="Outage", last_name=f"Proof{n}")
             for n in range(USERS)]
    try:
        await bus.start()
        await service.start()
        await eventually(service.ready, timeout=60)
        await bus.publish(org_upserted(id="o1", partner_id="p1", name="Acme"))
        await eventually(lambda: _found(direct, "acme"), timeout=30)

        proxy.cut()
        before = failed_attempts()
        for event in users:
            await bus.publish(event)
        # Many more failed attempts than a bad message gets: under the old rule, each event would be set aside now.
        await eventually(_more_than(before + 3 * ATTEMPTS), timeout=60)
        set_aside_during = await dead_letters.held(kafka_bootstrap, prefix)
        proxy.restore()
        found = await eventually(lambda: _all_found(direct), timeout=60)
        set_aside_after = await dead_letters.held(kafka_bootstrap, prefix)
    finally:
        await service.stop()
        await bus.stop()
        await direct.drop()
        await direct.close()
        await delete_topics(kafka_bootstrap, prefix)

    assert set_aside_during == []
    assert set_aside_after == []
    assert found == USERS


async def _found(store: OpenSearchSearchStore, q: str) -> int:
    await store.client.indices.refresh(index=store.entries)
    answer = await handlers.search(q, "p1", None, 100, store)
    return len(answer["customers"]) + len(answer["users"])


async def _all_found(store: OpenSearchSearchStore) -> int | None:
    """Every user's entry, counted in the index; None until all are there."""
    await store.client.indices.refresh(index=store.entries)
    answer = await store.client.count(index=store.entries, body={"query": {"term": {"kind": "user"}}})
    count = int(answer["count"])
    return count if count == USERS else None


def _more_than(count: float) -> object:
    async def probe() -> bool:
        return failed_attempts() > count
    return probe
