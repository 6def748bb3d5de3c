"""Email's internal API: delivery reports in, an address's status out, the suppression removed, bad input refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from runtime.bus import InProcessBus
from runtime.service import Infrastructure
from services.email import app
from services.email.config import EmailSettings

pytestmark = pytest.mark.unit

BOUNCE = {"address": "Rene.Lefevre@bistro.example", "status": "bounced", "reason": "550 5.1.1",
          "at": "2025-03-01T13:00:00+01:00"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    service = app.build(EmailSettings(storage="memory"), Infrastructure(InProcessBus()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.api), base_url="http://email") as client:
        yield client


async def test_reports_are_recorded_and_the_address_reads_back(client: httpx.AsyncClient) -> None:
    recorded = await client.post("/internal/email-events", json=[BOUNCE, BOUNCE])
    status = await client.get("/internal/addresses/rene.lefevre@BISTRO.example")

    assert recorded.json() == {"accepted": 2, "changed": 1}
    assert status.json() == {
        "address": "rene.lefevre@bistro.example", "suppressed": True,
        "last_message": {"kind": "", "status": "bounced", "at": "2025-03-01T12:00:00Z", "reason": "550 5.1.1"},
        "messages": [{"kind": "", "subject": "", "status": "bounced", "at": "2025-03-01T12:00:00Z",
                      "reason": "550 5.1.1"}],
        "suppression": {"reason": "550 5.1.1", "since": "2025-03-01T12:00:00Z"}}


async def test_an_address_with_a_slash_is_one_address(client: httpx.AsyncClient) -> None:
    await client.post("/internal/email-events", json=[{**BOUNCE, "address": "sales/eu@bistro.example"}])

    status = await client.get("/internal/addresses/sales%2Feu@bistro.example")
    removed = await client.delete("/internal/addresses/sales%2Feu@bistro.example/suppression")

    assert status.json()["suppressed"] is True
    assert removed.status_code == 204


async def test_removing_answers_204_then_404_not_suppressed(client: httpx.AsyncClient) -> None:
    await client.post("/internal/email-events", json=[BOUNCE])

    removed = await client.delete("/internal/addresses/rene.lefevre@bistro.example/suppression",
                                  params={"user_id": "u-rene", "agent_id": "u-agent"})
    again = await client.delete("/internal/addresses/rene.lefevre@bistro.example/suppression")

    assert removed.status_code == 204
    assert again.status_code == 404
    assert again.json()["error"] == {"code": "not_suppressed",
                                     "message": "This address is not on the suppression list."}


async def test_a_bad_report_refuses_the_whole_batch_and_says_which_and_why(client: httpx.AsyncClient) -> None:
    response = await client.post("/internal/email-events", json=[
        BOUNCE, {"address": "rene@", "status": "bounced"}, {"address": "jane.doe@acme.example", "status": "bonced"}])

    error = response.json()["error"]
    assert response.status_code == 422
    assert error["code"] == "invalid_input"
    assert "address of item 2: 'rene@' is not an e-mail address" in error["message"]
    assert "status of item 3: Input should be 'queued', 'sent', 'delivered'" in error["message"]
    assert (await client.get("/internal/addresses/rene.lefevre@bistro.example")).json()["last_message"] is None


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_a_bad_address_is_a_422_that_says_why(client: httpx.AsyncClient, method: str) -> None:
    path = "/internal/addresses/no-at-sign" + ("/suppression" if method == "DELETE" else "")

    response = await client.request(method, path)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_address"
    assert response.json()["error"]["message"].startswith("'no-at-sign' is not an e-mail address: ")


async def test_whether_an_address_is_suppressed_is_answered_by_the_service_that_keeps_it(
        client: httpx.AsyncClient) -> None:
    await client.post("/internal/email-events", json=[BOUNCE])

    suppressed = await client.get("/internal/addresses/rene.lefevre@bistro.example/suppression")
    never = await client.get("/internal/addresses/jane@acme.example/suppression")

    assert suppressed.json() == {"reason": "550 5.1.1", "since": "2025-03-01T12:00:00Z"}
    assert (never.status_code, never.json()["error"]) == (404, {
        "code": "not_suppressed", "message": "This address is not on the suppression list."})
