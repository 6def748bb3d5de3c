"""What a customer's own admins see of their org, for an agent's read-only session; and an org always shows when
it was created."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from contracts.identity import Org, OrgUpserted
from services.identity import demo, importing, org_views
from services.identity.store import IdentityStore

pytestmark = pytest.mark.unit

NORTHWIND = "p-northwind"


async def lines(*records: dict[str, object]) -> AsyncIterator[bytes]:
    yield "".join(json.dumps(r) + "\n" for r in records).encode()


async def once(body: bytes) -> AsyncIterator[bytes]:
    yield body


@pytest.fixture
async def store() -> IdentityStore:
    seeded = IdentityStore.memory()
    report = await importing.import_records(once(demo.ndjson()), seeded)
    assert report.rejected == []
    return seeded


async def acme(store: IdentityStore) -> Org:
    found = await org_views.managed_org("o-acme", NORTHWIND, store)
    assert found is not None
    return found


class TestScope:
    @pytest.mark.parametrize(("org_id", "partner_id"), [("o-acme", "p-contoso"), ("o-nobody", NORTHWIND),
                                                        ("o-acme", "")])
    async def test_an_org_the_partner_does_not_manage_is_not_found(self, store: IdentityStore, org_id: str,
                                                                   partner_id: str) -> None:
        assert await org_views.managed_org(org_id, partner_id, store) is None


class TestPages:
    async def test_users_come_with_status_licences_and_roles_a_page_at_a_time_by_id(
            self, store: IdentityStore, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(org_views, "PAGE_SIZE", 1)
        org = await acme(store)

        first = await org_views.users(org, store, None)
        pages = [first]
        while pages[-1].next_cursor is not None:
            pages.append(await org_views.users(org, store, pages[-1].next_cursor))

        ids = [user.id for page in pages for user in page.items]
        assert ids == sorted(ids)
        assert len(ids) == len(set(ids)) > 1
        jane = next(user for page in pages for user in page.items if user.id == "u-jane")
        assert (jane.status, jane.licenses) == ("active", ["MTG-PRO"])
        assert pages[-1].next_cursor is None

    async def test_devices_with_their_lines_and_licences_are_the_orgs_own(self, store: IdentityStore) -> None:
        org = await acme(store)

        devices = await org_views.devices(org, store, None)
        licenses = org_views.licenses(org, None)

        assert "d-desk1" in [d.id for d in devices.items]
        desk = next(d for d in devices.items if d.id == "d-desk1")
        assert [(p.display, p.e164) for p in desk.phone_numbers] == [("+1 415 555 0101", "+14155550101")]
        assert [license_.sku for license_ in licenses.items] == sorted(license_.sku for license_ in org.licenses)
        assert licenses.subscriptions == list(org.subscriptions)
        assert (devices.next_cursor, licenses.next_cursor) == (None, None)

    async def test_settings_show_domains_sites_country_numbers_and_how_many_use_each_feature(
            self, store: IdentityStore) -> None:
        settings = await org_views.settings(await acme(store), store)

        assert (settings.country, settings.sites) == ("US", ["acme.webex.com"])
        assert [(p.display, p.e164) for p in settings.phone_numbers] == [("(415) 555-0199", "+14155550199")]
        assert "acme.example" in [d.name for d in settings.domains]
        assert settings.users >= 1
        assert all(use.enabled + use.disabled <= settings.users for use in settings.features.values())


class TestCreatedAt:
    async def test_an_org_imported_without_created_at_shows_when_it_was_first_stored(self) -> None:
        store = IdentityStore.memory()
        before = datetime.now(UTC)

        await importing.import_records(lines({"type": "partner", "id": "p-new", "name": "New"},
                                             {"type": "org", "id": "o-new", "name": "New Co", "partner_id": "p-new"}),
                                       store)

        org = await store.get(Org, "o-new")
        assert org is not None
        assert org.created_at is not None
        assert before <= org.created_at <= datetime.now(UTC)
        [event] = [p.event for p in await store.collections["orgs"].pending(10) if isinstance(p.event, OrgUpserted)]
        assert event.org.created_at == org.created_at

    async def test_importing_the_org_again_without_created_at_keeps_it_and_changes_nothing(self) -> None:
        store = IdentityStore.memory()
        records = ({"type": "partner", "id": "p-new", "name": "New"},
                   {"type": "org", "id": "o-new", "name": "New Co", "partner_id": "p-new"})
        await importing.import_records(lines(*records), store)
        first = await store.get(Org, "o-new")

        await importing.import_records(lines(*records), store)

        assert await store.get(Org, "o-new") == first

    async def test_a_created_at_given_by_the_import_is_kept_as_given(self) -> None:
        store = IdentityStore.memory()

        await importing.import_records(lines({"type": "partner", "id": "p-new", "name": "New"},
                                             {"type": "org", "id": "o-new", "name": "New Co", "partner_id": "p-new",
                                              "created_at": "2020-01-02T03:04:05Z"}), store)

        org = await store.get(Org, "o-new")
        assert org is not None
        assert org.created_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
