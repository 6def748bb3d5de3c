"""The embedded mode's outbox: an operator reads the mails the product "sent" instead of sending them; an agent may
not. (Its mails come from verification codes: see test_api_verification_codes.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.product import Product, login, running

pytestmark = pytest.mark.e2e

OUTBOX = "/api/v1/operator/outbox"


@pytest.fixture
async def product() -> AsyncIterator[Product]:
    async with running() as started:
        yield started


async def test_an_operator_reads_the_embedded_outbox_and_an_agent_may_not(product: Product) -> None:
    _, client = product

    everything = await client.get(OUTBOX, headers=await login(client, "operator@helpdesk.local"))
    janes = await client.get(OUTBOX, params={"to": "Jane.Doe@acme.example"},
                             headers=await login(client, "operator@helpdesk.local"))
    agent = await client.get(OUTBOX, headers=await login(client, "agent@northwind.example"))

    assert (everything.status_code, everything.json()) == (200, [])
    assert (janes.status_code, janes.json()) == (200, [])
    assert (agent.status_code, agent.json()["error"]["code"]) == (403, "forbidden")


async def test_a_bad_address_is_refused_with_why(product: Product) -> None:
    _, client = product

    response = await client.get(OUTBOX, params={"to": "jane@"}, headers=await login(client, "operator@helpdesk.local"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_address"


async def test_the_outbox_is_in_the_public_api_document(product: Product) -> None:
    _, client = product

    document = (await client.get("/openapi.json")).json()

    operation = document["paths"][OUTBOX]["get"]
    assert "404" in operation["responses"]
    email_status = document["components"]["schemas"]["EmailStatus"]["properties"]
    assert "messages" in email_status
    assert "last_message" in email_status
