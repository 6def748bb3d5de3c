"""Every event keeps its shape for the consumers of its current version."""

from __future__ import annotations

import copy
import uuid

import pytest

from contracts import decode, event_types, registry
from contracts.access import AccessRevoked
from contracts.compat import breaking_changes, current_schemas, stored_schemas
from contracts.envelope import schema_version_field
from contracts.gateway import AgentActionRecorded
from contracts.identity import Device, DeviceUpserted, Org, OrgUpserted, PhoneNumber, User, UserUpserted

pytestmark = pytest.mark.unit


def test_every_event_has_a_topic_and_a_past_tense_name() -> None:
    for name, cls in event_types().items():
        assert cls.TOPIC.count(".") == 1, name
        assert name.endswith(("ed", "Placed", "Sent")), name


def test_an_event_survives_the_wire_and_is_keyed_by_its_entity() -> None:
    user = User(id="u1", org_id="o1", email="a@b.example", first_name="Ana", last_name="Bé", version=3)
    event = UserUpserted(user=user, partner_id="p1", correlation_id="c1")

    again = decode(event.to_json())

    assert again == event
    assert again.event_type == "UserUpserted"
    assert event.key() == "u1"


def test_an_agent_action_is_keyed_by_its_customer_and_a_search_over_all_customers_by_its_agent() -> None:
    def action(org_id: str) -> AgentActionRecorded:
        return AgentActionRecorded(agent_id="u-agent", agent_email="agent@northwind.example", action="search",
                                   target_type="search", target_id="jane", org_id=org_id)

    assert action("o-acme").key() == "o-acme"
    assert action("").key() == "u-agent"  # not the empty key, where every such search would share one partition


def test_every_event_id_is_a_distinct_random_uuid() -> None:
    ids = [UserUpserted(user=User(id="u1", org_id="o1", email="a@b.example", first_name="A", last_name="B",
                                  version=1)).event_id for _ in range(20_000)]

    parsed = [uuid.UUID(i) for i in ids]
    assert len(set(ids)) == len(ids)
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 and str(u) == i for u, i in zip(parsed, ids, strict=True))


def test_a_consumer_ignores_fields_it_does_not_know() -> None:
    user = User(id="u1", org_id="o1", email="a@b.example", first_name="A", last_name="B", version=1)
    body = UserUpserted(user=user).model_dump(mode="json")
    body["added_later"] = {"anything": 1}
    body["user"]["also_new"] = True

    assert decode(body).key() == "u1"


def test_an_org_or_device_event_from_before_their_phone_numbers_decodes_with_none() -> None:
    org = Org(id="o1", name="Acme", partner_id="p1", version=1, phone_numbers=(PhoneNumber(display="+1 415 555 0199"),))
    device = Device(id="d1", org_id="o1", product="Desk Pro", serial="FOC1", mac="001a2b3c4d5e", version=1,
                    phone_numbers=(PhoneNumber(display="+1 415 555 0101"),))
    old_org = OrgUpserted(org=org, partner_id="p1").model_dump(mode="json")
    old_device = DeviceUpserted(device=device, partner_id="p1").model_dump(mode="json")
    del old_org["org"]["phone_numbers"], old_device["device"]["phone_numbers"]

    decoded_org, decoded_device = decode(old_org), decode(old_device)

    assert isinstance(decoded_org, OrgUpserted)
    assert isinstance(decoded_device, DeviceUpserted)
    assert (decoded_org.org.phone_numbers, decoded_device.device.phone_numbers) == ((), ())
    assert decoded_org.org.name == "Acme"


@pytest.mark.parametrize("body", [None, b"", b"\xff", b"[1]", b'{"event_type": "UserUpserted"}'])
def test_what_is_not_an_event_is_refused_as_such(body: bytes | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - what every consumer dead-letters rather than fails on
        decode(body)


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        decode(b'{"event_type": "SomethingElse"}')


def test_every_event_is_keyed_by_a_field_it_carries() -> None:
    for name, cls in event_types().items():
        assert cls.KEY_FIELD.split(".")[0] in cls.model_fields, name


class _AccessRevokedV2(AccessRevoked):
    """AccessRevoked as a version 2 that made the reason for a revocation required would read it."""

    schema_version: int = schema_version_field(2)
    reason: str


class _AccessRevokedV3(_AccessRevokedV2):
    """... and a version 3 that renamed `revoked_by` to `revoked_by_user_id`."""

    schema_version: int = schema_version_field(3)
    revoked_by_user_id: str


def _with_reason(body: dict[str, object]) -> dict[str, object]:
    return {**body, "reason": "not recorded before version 2"}


def _renamed_revoked_by(body: dict[str, object]) -> dict[str, object]:
    return {**body, "revoked_by_user_id": body["revoked_by"]}


def _version_1_revocation() -> bytes:
    return AccessRevoked(org_id="o-acme", revoked_by="u-cadmin").to_json()


def test_a_version_1_body_is_upcast_to_the_version_2_the_code_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.EVENTS, "AccessRevoked", _AccessRevokedV2)
    monkeypatch.setitem(registry.UPCASTERS, ("AccessRevoked", 1), _with_reason)
    body = _version_1_revocation()

    event = decode(body)

    assert isinstance(event, _AccessRevokedV2)
    assert (event.schema_version, event.reason, event.revoked_by) == (2, "not recorded before version 2", "u-cadmin")


def test_a_body_is_upcast_one_version_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.EVENTS, "AccessRevoked", _AccessRevokedV3)
    monkeypatch.setitem(registry.UPCASTERS, ("AccessRevoked", 1), _with_reason)
    monkeypatch.setitem(registry.UPCASTERS, ("AccessRevoked", 2), _renamed_revoked_by)
    body = _version_1_revocation()

    event = decode(body)

    assert isinstance(event, _AccessRevokedV3)
    assert (event.schema_version, event.reason, event.revoked_by_user_id) == (
        3, "not recorded before version 2", "u-cadmin")


def test_a_body_at_the_current_version_is_not_upcast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.EVENTS, "AccessRevoked", _AccessRevokedV2)
    monkeypatch.setitem(registry.UPCASTERS, ("AccessRevoked", 1), _with_reason)
    body = _AccessRevokedV2(org_id="o-acme", revoked_by="u-cadmin", reason="moved to another partner"
                            ).model_dump(mode="json") | {"event_type": "AccessRevoked"}

    event = decode(body)

    assert isinstance(event, _AccessRevokedV2)
    assert event.reason == "moved to another partner"


def test_a_body_of_a_newer_schema_version_than_the_code_reads_is_refused() -> None:
    body = AccessRevoked(org_id="o-acme", revoked_by="u-cadmin").model_dump(mode="json") | {"schema_version": 2}

    with pytest.raises(ValueError, match="AccessRevoked: schema_version 2 is newer than 1"):  # dead-lettered
        decode(body)


def test_an_older_body_without_an_upcaster_is_refused_rather_than_misread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.EVENTS, "AccessRevoked", _AccessRevokedV2)
    body = _version_1_revocation()

    with pytest.raises(registry.UnknownSchemaVersion, match="no upcaster from schema_version 1 to 2"):
        decode(body)


def test_every_older_schema_version_of_an_event_has_an_upcaster() -> None:
    missing = [(name, version) for name, cls in event_types().items()
               for version in range(1, cls.current_schema_version()) if (name, version) not in registry.UPCASTERS]

    assert missing == []


def test_stored_schemas_match_the_code() -> None:
    stored, current = stored_schemas(), current_schemas()
    assert sorted(stored) == sorted(current), "run `helpdesk contracts write` and commit contracts/schemas"
    for name in current:
        assert stored[name] == current[name], f"{name} changed: run `helpdesk contracts write` if compatible"


def test_no_event_breaks_a_consumer_of_its_stored_schema() -> None:
    stored, current = stored_schemas(), current_schemas()
    problems = {name: breaking_changes(stored[name], current[name]) for name in stored}
    assert problems == {name: [] for name in stored}


@pytest.fixture
def user_schema() -> dict[str, object]:
    return UserUpserted.model_json_schema()


def _user_props(schema: dict[str, object]) -> dict[str, dict[str, object]]:
    return schema["$defs"]["User"]["properties"]  # type: ignore[index, no-any-return]


def test_removing_a_field_is_breaking(user_schema: dict[str, object]) -> None:
    changed = copy.deepcopy(user_schema)
    del _user_props(changed)["email"]

    assert breaking_changes(user_schema, changed) == ["user.email: removed or renamed"]


def test_renaming_a_field_is_breaking(user_schema: dict[str, object]) -> None:
    changed = copy.deepcopy(user_schema)
    props = _user_props(changed)
    props["mail"] = props.pop("email")

    assert "user.email: removed or renamed" in breaking_changes(user_schema, changed)


def test_changing_a_type_is_breaking(user_schema: dict[str, object]) -> None:
    changed = copy.deepcopy(user_schema)
    _user_props(changed)["version"] = {"type": "string"}

    assert breaking_changes(user_schema, changed) == [
        "user.version: type changed from ['integer'] to ['string']"
    ]


def test_a_new_required_field_is_breaking(user_schema: dict[str, object]) -> None:
    changed = copy.deepcopy(user_schema)
    changed["properties"]["tenant"] = {"type": "string"}  # type: ignore[index]
    changed["required"] = [*changed["required"], "tenant"]  # type: ignore[misc]

    assert breaking_changes(user_schema, changed) == ["tenant: new required field"]


def test_a_new_optional_field_is_compatible(user_schema: dict[str, object]) -> None:
    changed = copy.deepcopy(user_schema)
    _user_props(changed)["nickname"] = {"type": "string", "default": ""}

    assert breaking_changes(user_schema, changed) == []


def test_a_changed_item_type_inside_a_list_is_breaking(user_schema: dict[str, object]) -> None:
    changed = copy.deepcopy(user_schema)
    changed["$defs"]["PhoneNumber"]["properties"]["display"] = {"type": "integer"}  # type: ignore[index]

    assert breaking_changes(user_schema, changed) == [
        "user.phone_numbers.[].display: type changed from ['string'] to ['integer']"
    ]
