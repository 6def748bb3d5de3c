"""The search bar finds each kind of identifier in every format a caller reads it out."""

from __future__ import annotations

from typing import Any

import pytest

from services.search import handlers
from services.search.store import MemorySearchStore
from tests.search_events import device_upserted, order_placed, org_upserted, phone, user_upserted

pytestmark = pytest.mark.unit

JANE_ID = "6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f"
DESK_ID = "0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b"


@pytest.fixture
async def store() -> MemorySearchStore:
    """Partner p1 manages Acme (US) and a bistro (FR); partner p2 has look-alikes of everything."""
    store = MemorySearchStore()
    events = [
        org_upserted(id="o-acme", name="Acme Corporation", country="US",
                     domains=[{"name": "acme.example", "status": "verified"},
                              {"name": "acme-corp.example", "status": "claimed"}], sites=["acme.webex.com"],
                     phone_numbers=(phone("+14155550199", "(415) 555-0199"),)),
        org_upserted(id="o-bistro", name="Bistro Méditerranée", country="FR",
                     phone_numbers=(phone("+33142685000", "01 42 68 50 00"), phone("+33142685099", "01 42 68 50 99"))),
        user_upserted(id=JANE_ID, org_id="o-acme", email="Jane.Doe@Acme.example", first_name="Jane",
                      last_name="Doe", display_name="JD from Finance",
                      phone_numbers=(phone("+14155550100", "+1 415 555 0100"),)),
        user_upserted(id="u-rene", org_id="o-bistro", email="rene.lefevre@bistro.example", first_name="René",
                      last_name="Lefèvre", phone_numbers=(phone("+33142685300", "01 42 68 53 00"),)),
        device_upserted(id=DESK_ID, org_id="o-acme", serial="FOC2345X1YZ", mac="001a2b3c4d5e",
                        sip_address="jane.doe@acme.example", owner_user_id=JANE_ID,
                        phone_numbers=(phone("+14155550101", "+1 415 555 0101"),)),
        device_upserted(id="d-room", org_id="o-bistro", serial="FOC9999A1BC", mac="a0b1c2d3e4f5",
                        sip_address="room-1@bistro.example", phone_numbers=(phone("+33142685300", "01 42 68 53 00"),)),
        order_placed(number="WO-100200", org_id="o-acme"),
        org_upserted(id="o-other", partner_id="p2", name="Acme Corporation Bistro", country="FR",
                     domains=[{"name": "other-acme.example", "status": "verified"}],
                     phone_numbers=(phone("+14155550199"), phone("+33142685000"))),
        user_upserted(id="u-other", org_id="o-other", partner_id="p2", email="jane.doe@other-acme.example",
                      first_name="Jane", last_name="Doe", phone_numbers=(phone("+14155550100"),)),
        device_upserted(id="d-other", org_id="o-other", partner_id="p2", serial="FOC2345X1YZ", mac="001a2b3c4d5e",
                        phone_numbers=(phone("+14155550101"),)),
        order_placed(number="WO-100200X", org_id="o-other", partner_id="p2"),
    ]
    for event in events:
        await handlers.index(event, store)
    return store


async def search(store: MemorySearchStore, q: str, org_id: str | None = None) -> dict[str, Any]:
    return await handlers.search(q, "p1", org_id, 20, store)


async def found(store: MemorySearchStore, q: str, group: str, org_id: str | None = None) -> list[str]:
    return [hit["id"] for hit in (await search(store, q, org_id))[group]]


async def matched(store: MemorySearchStore, q: str, group: str) -> dict[str, str]:
    hits = (await search(store, q))[group]
    assert len(hits) == 1, hits
    return dict(hits[0]["matched"])


class TestUsers:
    @pytest.mark.parametrize("q", ["jane.doe@acme.example", "JANE.DOE@ACME.EXAMPLE", " Jane.Doe@Acme.example ",
                                   "mailto:jane.doe@acme.example"])
    async def test_by_email_in_any_case(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "users") == [JANE_ID]
        assert await matched(store, q, "users") == {"field": "email", "value": "Jane.Doe@Acme.example"}

    @pytest.mark.parametrize("q", ["Jane Doe", "doe jane", "DOE, Jane", "jane", "doe"])
    async def test_by_full_name_in_either_order(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "users") == [JANE_ID]

    @pytest.mark.parametrize("q", ["Lef", "ren lef", "lefe rene", "r l"])
    async def test_by_partial_names(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "users") == ["u-rene"]

    @pytest.mark.parametrize("q", ["Rene Lefevre", "lefevre", "LEFEVRE RENE"])
    async def test_by_name_typed_without_its_accents(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "users") == ["u-rene"]
        assert await matched(store, q, "users") == {"field": "name", "value": "René Lefèvre"}

    async def test_by_display_name(self, store: MemorySearchStore) -> None:
        assert await found(store, "finance", "users") == [JANE_ID]
        assert await matched(store, "finance", "users") == {"field": "display_name", "value": "JD from Finance"}

    @pytest.mark.parametrize("q", ["+14155550100", "+1 415 555 0100", "+1 (415) 555-0100", "(415) 555-0100",
                                   "415-555-0100", "415.555.0100", "4155550100", "1 415 555 0100", "14155550100",
                                   "001 415 555 0100", "011 1 415 555 0100"])
    async def test_by_a_us_phone_number_in_any_format(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "users") == [JANE_ID]
        assert await matched(store, q, "users") == {"field": "phone", "value": "+14155550100"}

    @pytest.mark.parametrize("q", ["01 42 68 53 00", "01.42.68.53.00", "0142685300", "+33 1 42 68 53 00",
                                   "+33 (0)1 42 68 53 00", "0033 1 42 68 53 00", "33142685300"])
    async def test_by_a_french_phone_number_in_any_format(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "users") == ["u-rene"]

    async def test_a_national_number_is_read_in_the_countries_of_the_customers_in_scope(
        self, store: MemorySearchStore
    ) -> None:
        everywhere = await search(store, "01 42 68 53 00")
        in_acme = await search(store, "01 42 68 53 00", org_id="o-acme")

        assert [h["id"] for h in everywhere["users"]] == ["u-rene"]
        assert {"kind": "phone", "value": "+33142685300"} in everywhere["interpretations"]
        assert in_acme["users"] == []

    @pytest.mark.parametrize("q", [JANE_ID, JANE_ID.upper(), "u-rene"])
    async def test_by_user_id(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "users") == [JANE_ID if q.lower() == JANE_ID else "u-rene"]


class TestCustomers:
    @pytest.mark.parametrize("q", ["acme", "corp", "Acme Corporation", "corporation acme", "medit", "bistro med"])
    async def test_by_a_prefix_of_any_word_of_the_name(self, store: MemorySearchStore, q: str) -> None:
        expected = ["o-bistro"] if "med" in q else ["o-acme"]
        assert await found(store, q, "customers") == expected

    @pytest.mark.parametrize("q", ["o-acme", "O-ACME"])
    async def test_by_org_id(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "customers") == ["o-acme"]

    @pytest.mark.parametrize(("q", "domain"), [("acme.example", "acme.example"),
                                               ("ACME-corp.example", "acme-corp.example")])
    async def test_by_a_verified_or_claimed_domain(self, store: MemorySearchStore, q: str, domain: str) -> None:
        assert await found(store, q, "customers") == ["o-acme"]
        assert await matched(store, q, "customers") == {"field": "domain", "value": domain}

    @pytest.mark.parametrize("q", ["acme.webex.com", "https://acme.webex.com", "https://ACME.webex.com/meet/jane",
                                   "http://acme.webex.com:443/join?x=1"])
    async def test_by_meeting_site_as_a_host_or_url(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "customers") == ["o-acme"]
        assert await matched(store, q, "customers") == {"field": "site", "value": "acme.webex.com"}

    @pytest.mark.parametrize("q", ["(415) 555-0199", "415-555-0199", "415.555.0199", "415 555 0199", "4155550199",
                                   "+1 415 555 0199", "+14155550199", "+1 (415) 555-0199", "1 415 555 0199",
                                   "001 415 555 0199", "011 1 415 555 0199"])
    async def test_by_its_main_number_in_any_format(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "customers") == ["o-acme"]
        assert await matched(store, q, "customers") == {"field": "phone", "value": "+14155550199"}

    @pytest.mark.parametrize("q", ["01 42 68 50 00", "01.42.68.50.00", "01-42-68-50-00", "0142685000",
                                   "+33 1 42 68 50 00", "+33 (0)1 42 68 50 00", "0033 1 42 68 50 00", "33142685000",
                                   "01 42 68 50 99"])
    async def test_by_any_of_its_own_numbers_read_in_its_country(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "customers") == ["o-bistro"]

    async def test_a_number_is_only_the_customers_it_belongs_to(self, store: MemorySearchStore) -> None:
        result = await search(store, "01 42 68 50 00")

        assert [h["id"] for h in result["customers"]] == ["o-bistro"]
        assert result["users"] == result["devices"] == []
        assert await found(store, "01 42 68 50 00", "customers", org_id="o-acme") == []


class TestDevices:
    @pytest.mark.parametrize("q", ["00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e",
                                   "001A.2B3C.4D5E", "001A2B3C4D5E", "001a2b3c4d5e"])
    async def test_by_mac_in_any_notation(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "devices") == [DESK_ID]
        assert await matched(store, q, "devices") == {"field": "mac", "value": "00:1a:2b:3c:4d:5e"}

    @pytest.mark.parametrize("q", ["FOC2345X1YZ", "foc2345x1yz", "FOC2345"])
    async def test_by_serial_number_whole_or_its_start(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "devices") == [DESK_ID]
        assert await matched(store, q, "devices") == {"field": "serial", "value": "FOC2345X1YZ"}

    @pytest.mark.parametrize("q", ["sip:room-1@bistro.example", "SIP:Room-1@Bistro.Example;transport=tls",
                                   "sips:room-1@bistro.example:5061", "room-1@bistro.example"])
    async def test_by_sip_address(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "devices") == ["d-room"]
        assert await matched(store, q, "devices") == {"field": "sip_address", "value": "room-1@bistro.example"}

    async def test_an_email_finds_the_user_and_the_device_registered_to_that_address(
        self, store: MemorySearchStore
    ) -> None:
        result = await search(store, "jane.doe@acme.example")

        assert [h["id"] for h in result["users"]] == [JANE_ID]
        assert [h["id"] for h in result["devices"]] == [DESK_ID]

    @pytest.mark.parametrize("q", ["+1 415 555 0101", "(415) 555-0101", "415.555.0101", "4155550101",
                                   "001 415 555 0101"])
    async def test_by_its_line_number_in_any_format(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "devices") == [DESK_ID]
        assert await matched(store, q, "devices") == {"field": "phone", "value": "+14155550101"}

    async def test_a_number_shared_by_a_user_and_a_device_finds_both(self, store: MemorySearchStore) -> None:
        result = await search(store, "01 42 68 53 00")

        assert [(h["id"], h["matched"]) for h in result["users"]] == [
            ("u-rene", {"field": "phone", "value": "+33142685300"})]
        assert [(h["id"], h["matched"]) for h in result["devices"]] == [
            ("d-room", {"field": "phone", "value": "+33142685300"})]
        assert result["interpretations"] == [{"kind": "phone", "value": "+33142685300"}]

    @pytest.mark.parametrize("q", [DESK_ID, "d-room"])
    async def test_by_device_id(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "devices") == [q]


class TestOrders:
    @pytest.mark.parametrize("q", ["WO-100200", "wo-100200", "WO100200", "wo 100200", "100200"])
    async def test_by_web_order_number(self, store: MemorySearchStore, q: str) -> None:
        assert await found(store, q, "orders") == ["WO-100200"]
        assert await matched(store, q, "orders") == {"field": "number", "value": "WO-100200"}
