"""What identity shows the gateway about a customer, a user, a device and an order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel

from services.identity import demo, importing, views
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit

NORTHWIND = "p-northwind"


async def once(body: bytes) -> AsyncIterator[bytes]:
    yield body


def sent(view: BaseModel | None) -> dict[str, Any] | None:
    """A view as the gateway receives it."""
    return view.model_dump(mode="json") if view is not None else None


@pytest.fixture
async def store() -> IdentityStore:
    seeded = IdentityStore.memory()
    report = await importing.import_records(once(demo.ndjson()), seeded)
    assert report.rejected == []
    return seeded


async def test_a_customer_shows_its_admins_with_emails_orders_domains_sites_and_licences(store: IdentityStore) -> None:
    acme = sent(await views.customer("o-acme", store, partner_id=NORTHWIND))

    assert acme is not None
    assert acme["name"] == "Acme Corporation"
    assert acme["partner_id"] == "p-northwind"
    assert acme["created_at"] == "2023-04-12T09:30:00Z"
    assert acme["admins"] == [{"user_id": "u-cadmin", "name": "Carla Admin", "email": "it@acme.example"}]
    assert [o["number"] for o in acme["orders"]] == ["WO-100200"]
    assert {d["name"]: d["status"] for d in acme["domains"]} == {"acme.example": "verified",
                                                                  "acme-corp.example": "claimed"}
    assert acme["sites"] == ["acme.webex.com"]
    assert acme["licenses"][0]["sku"] == "MTG-PRO"


async def test_a_customer_shows_its_own_numbers_as_a_user_shows_theirs(store: IdentityStore) -> None:
    acme = sent(await views.customer("o-acme", store, partner_id=NORTHWIND))
    bistro = sent(await views.customer("o-bistro", store, partner_id=NORTHWIND))

    assert acme is not None
    assert bistro is not None
    assert acme["phone_numbers"] == [{"display": "(415) 555-0199", "e164": "+14155550199"}]
    assert bistro["phone_numbers"] == [{"display": "01 42 68 50 00", "e164": "+33142685000"}]


async def test_a_user_shows_status_licences_devices_and_features(store: IdentityStore) -> None:
    jane = sent(await views.user("u-jane", store, partner_id=NORTHWIND))

    assert jane is not None
    assert (jane["status"], jane["licenses"], jane["features"]) == ("active", ["MTG-PRO"],
                                                                     {"recording": True, "webinars": False})
    assert [d["id"] for d in jane["devices"]] == ["d-desk1"]
    assert (jane["org_name"], jane["partner_id"]) == ("Acme Corporation", "p-northwind")
    assert jane["phone_numbers"] == [{"display": "+1 415 555 0100", "e164": "+14155550100"}]


async def test_a_device_shows_its_owner_and_lines_and_an_order_its_customer(store: IdentityStore) -> None:
    desk = sent(await views.device("d-desk1", store, partner_id=NORTHWIND))
    order = sent(await views.order("WO-100200", store, partner_id=NORTHWIND))

    assert desk is not None
    assert order is not None
    assert desk["owner"] == {"user_id": "u-jane", "name": "Jane Doe", "email": "jane.doe@acme.example"}
    assert desk["mac"] == "001a2b3c4d5e"
    assert desk["phone_numbers"] == [{"display": "+1 415 555 0101", "e164": "+14155550101"}]
    assert (order["org_name"], order["partner_id"], order["status"]) == ("Acme Corporation", "p-northwind",
                                                                         "provisioned")


async def test_unknown_and_deleted_things_have_no_view(store: IdentityStore) -> None:
    await importing.import_records(once(b'{"type": "user", "id": "u-rene", "deleted": true}\n'), store)

    assert await views.user("u-rene", store, partner_id=NORTHWIND) is None
    assert await views.user("nobody", store, partner_id=NORTHWIND) is None
    assert await views.customer("nowhere", store, partner_id=NORTHWIND) is None
    assert await views.device("none", store, partner_id=NORTHWIND) is None
    assert await views.order("WO-0", store, partner_id=NORTHWIND) is None
