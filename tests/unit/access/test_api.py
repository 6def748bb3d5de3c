"""Access's internal API: the gateway's way to grant, revoke and read, with clear refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from runtime.bus import InProcessBus
from runtime.service import Infrastructure
from services.access import app
from services.access.config import AccessSettings

pytestmark = pytest.mark.unit

GRANT = "/internal/grants/o-acme"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    service = app.build(AccessSettings(storage="memory"), Infrastructure(InProcessBus()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.api), base_url="http://access") as client:
        yield client


async def test_a_grant_until_a_time_reads_back_for_its_partner_in_utc(client: httpx.AsyncClient) -> None:
    granted = await client.put(GRANT, json={"partner_id": "p-northwind", "granted_by": "u-cadmin",
                                            "expires_at": "2999-01-01T14:00:00+02:00"})
    read = await client.get(GRANT, params={"partner_id": "p-northwind"})
    other = await client.get(GRANT, params={"partner_id": "p-contoso"})

    assert granted.status_code == 200
    assert granted.json() == read.json() == {"granted": True, "partner_id": "p-northwind",
                                             "expires_at": "2999-01-01T12:00:00Z"}
    assert other.json() == {"granted": False, "partner_id": "p-contoso", "expires_at": None}


async def test_revoking_answers_204_whether_or_not_a_grant_was_active(client: httpx.AsyncClient) -> None:
    await client.put(GRANT, json={"partner_id": "p-northwind", "granted_by": "u-cadmin"})

    first = await client.delete(GRANT, params={"revoked_by": "u-cadmin"})
    second = await client.delete(GRANT, params={"revoked_by": "u-cadmin"})

    assert (first.status_code, second.status_code) == (204, 204)
    assert (await client.get(GRANT)).json()["granted"] is False


@pytest.mark.parametrize(("expires_at", "code", "says"), [
    ("2001-01-01T00:00:00Z", "expiry_in_past", "already have expired"),
    ("2999-01-01T00:00:00", "invalid_input", "timezone"),
    ("0001-01-01T00:00:00+05:00", "invalid_input", "too far in the past or the future"),
])
async def test_an_expiry_that_cannot_be_is_refused_with_a_reason(client: httpx.AsyncClient, expires_at: str,
                                                                  code: str, says: str) -> None:
    response = await client.put(GRANT, json={"partner_id": "p-northwind", "granted_by": "u-cadmin",
                                             "expires_at": expires_at})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert says in response.json()["error"]["message"]
    assert (await client.get(GRANT)).json()["granted"] is False
