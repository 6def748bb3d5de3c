"""The AsyncAPI document: kept in the repo as the events make it, valid AsyncAPI 3.0.0, and saying every event,
topic, key and field, dead-letter topics and their headers included."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema_rs
import pytest

from contracts import asyncapi
from contracts.compat import current_schemas
from contracts.registry import event_types
from contracts.topics import CONSUMER_GROUPS, DAY_MS, DEAD_LETTER_DAYS, DEAD_LETTER_TOPICS, EVENT_TOPICS, TOPICS
from runtime.kafka import KafkaBus

pytestmark = pytest.mark.unit

# The official AsyncAPI 3.0.0 JSON Schema, from npm's @asyncapi/specs 6.11.1 (see its README.md).
ASYNCAPI_SCHEMA = Path(__file__).parent / "vendor" / "asyncapi-specs" / "asyncapi-3.0.0.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.validator_for(json.loads(ASYNCAPI_SCHEMA.read_text()))


def _errors(validator: Any, document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.instance_path))}: {error.message[:200]}"
            for error in validator.iter_errors(document)]


def test_the_kept_document_is_the_one_the_events_make() -> None:
    kept = asyncapi.PATH.read_text()

    assert kept == asyncapi.text(), "contracts/asyncapi.json is stale: run `helpdesk contracts write`"


def test_a_kept_document_that_differs_or_is_missing_is_stale(tmp_path: Path) -> None:
    current, changed, missing = tmp_path / "current.json", tmp_path / "changed.json", tmp_path / "missing.json"
    asyncapi.write(current)
    changed.write_text(asyncapi.text().replace("UserUpserted", "UserChanged"))

    assert (asyncapi.stale(current), asyncapi.stale(changed), asyncapi.stale(missing)) == (False, True, True)


def test_the_document_is_valid_asyncapi_3(validator: Any) -> None:
    assert _errors(validator, asyncapi.document()) == []


def test_the_validation_refuses_a_document_that_is_not_asyncapi_3(validator: Any) -> None:
    document = asyncapi.document()
    broken = copy.deepcopy(document)
    broken["operations"]["identity.users.receive"]["action"] = "consume"
    no_partitions = copy.deepcopy(document)
    no_partitions["channels"]["identity.users"]["bindings"]["kafka"]["partitions"] = 0

    assert _errors(validator, broken)
    assert _errors(validator, no_partitions)


def test_every_topic_is_a_channel_named_by_its_address_with_how_kafka_keeps_it() -> None:
    channels = asyncapi.document()["channels"]

    assert list(channels) == [topic.name for topic in TOPICS]
    for topic in TOPICS:
        kafka = channels[topic.name]["bindings"]["kafka"]
        assert channels[topic.name]["address"] == topic.name
        assert kafka["topicConfiguration"]["cleanup.policy"] == [topic.cleanup_policy]
        assert kafka["topicConfiguration"]["retention.ms"] == topic.retention_ms
        assert kafka["partitions"] == topic.partitions


def test_every_event_is_a_message_on_its_topics_channel_with_its_key_and_a_subscribers_operation() -> None:
    document = asyncapi.document()

    for name, cls in event_types().items():
        message = document["components"]["messages"][name]
        assert document["channels"][cls.TOPIC]["messages"][name] == {"$ref": f"#/components/messages/{name}"}
        assert {"$ref": f"#/channels/{cls.TOPIC}/messages/{name}"} in (
            document["operations"][f"{cls.TOPIC}.receive"]["messages"])
        assert f"`{cls.KEY_FIELD}`" in message["bindings"]["kafka"]["key"]["description"]
    assert {operation["action"] for operation in document["operations"].values()} == {"receive"}


def test_a_users_key_is_described_by_the_users_id_field() -> None:
    key = asyncapi.document()["components"]["messages"]["UserUpserted"]["bindings"]["kafka"]["key"]

    assert key == {"type": "string", "description": "The event's `user.id`: Id of the user.", "examples": ["u-jane"]}


def test_each_payload_is_the_events_json_schema_as_kept_in_contracts_schemas() -> None:
    document = asyncapi.document()
    shared = document["components"]["schemas"]

    for name, schema in current_schemas().items():
        payload = _with_local_definitions(document["components"]["messages"][name]["payload"], shared)
        assert payload == schema, name


def test_every_header_of_a_published_event_is_described() -> None:
    document = asyncapi.document()
    headers = document["components"]["schemas"]["EventHeaders"]

    # The bus's three (runtime/kafka.py KafkaBus.publish), and the one the Kafka client adds to every message.
    assert set(headers["properties"]) == {"event_type", "correlation_id", "traceparent", "content-type"}
    assert all(field["description"] for field in headers["properties"].values())
    assert {document["components"]["messages"][name]["headers"]["$ref"] for name in event_types()} == {
        "#/components/schemas/EventHeaders"}


def test_every_dead_letter_topic_is_a_channel_of_dead_letters_kept_a_month_with_a_readers_operation() -> None:
    document = asyncapi.document()

    assert [topic.name for topic in DEAD_LETTER_TOPICS] == [f"dlq.{group}" for group in CONSUMER_GROUPS]
    for group in CONSUMER_GROUPS:
        channel = document["channels"][f"dlq.{group}"]
        operation = document["operations"][f"dlq.{group}.receive"]
        assert channel["messages"] == {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}}
        assert channel["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] == DEAD_LETTER_DAYS * DAY_MS
        assert f"Each message is kept {DEAD_LETTER_DAYS} days." in channel["description"]
        assert f"`helpdesk dlq replay {group}`" in channel["description"]
        assert channel["tags"] == [{"$ref": "#/components/tags/dead-letter"}]
        assert (operation["action"], operation["channel"]) == ("receive", {"$ref": f"#/channels/dlq.{group}"})
        assert operation["messages"] == [{"$ref": f"#/channels/dlq.{group}/messages/DeadLetter"}]
    assert "dead-letter" not in json.dumps([document["channels"][topic.name] for topic in EVENT_TOPICS])


def test_a_dead_letter_is_described_as_the_original_messages_bytes_and_key() -> None:
    message = asyncapi.document()["components"]["messages"]["DeadLetter"]

    assert message["headers"] == {"$ref": "#/components/schemas/DeadLetterHeaders"}
    assert (message["contentType"], message["payload"]["format"]) == ("application/octet-stream", "binary")
    assert "byte for byte" in message["payload"]["description"]
    assert message["bindings"]["kafka"]["key"]["description"].startswith("The original message's key, unchanged")


async def test_every_header_the_bus_gives_a_dead_letter_is_described_and_fits_its_schema(
        monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[tuple[bytes, str, bytes | None, dict[str, str]]] = []

    async def publish(body: bytes, topic: str, *, key: bytes | None, headers: dict[str, str]) -> None:
        written.append((body, topic, key, headers))

    bus = KafkaBus("127.0.0.1:1", client_id="test")  # never connected: the write is caught before the broker
    monkeypatch.setattr(bus.broker, "publish", publish)
    record = SimpleNamespace(topic="identity.users", partition=3, offset=41, key=b"u-jane")
    headers_schema = asyncapi.document()["components"]["schemas"]["DeadLetterHeaders"]

    await bus._dead_letter("search", record, b"not an event", "undecodable message: " + "x" * 2000)

    [(body, topic, key, headers)] = written
    assert (body, topic, key) == (b"not an event", "dlq.search", b"u-jane")
    assert set(headers) == set(headers_schema["required"])
    assert all(headers_schema["properties"][name]["description"] for name in headers)
    assert list(jsonschema_rs.validator_for(headers_schema).iter_errors(headers)) == []
    assert (headers["original_partition"], headers["original_offset"]) == ("3", "41")


def test_the_dead_letter_headers_refuse_a_dead_letter_without_its_origin() -> None:
    headers_schema = asyncapi.document()["components"]["schemas"]["DeadLetterHeaders"]
    without_offset = {"error": "ValueError('the index refused it')", "original_topic": "identity.users",
                      "original_partition": "3"}

    assert not jsonschema_rs.validator_for(headers_schema).is_valid(without_offset)


def test_every_field_has_a_description() -> None:
    document = asyncapi.document()
    schemas = [m["payload"] for m in document["components"]["messages"].values()]
    schemas += document["components"]["schemas"].values()

    undescribed = [f"{schema.get('title')}.{field}" for schema in schemas
                   for field, definition in schema.get("properties", {}).items() if not definition.get("description")]
    assert undescribed == []


def _with_local_definitions(payload: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    """The payload as pydantic writes it alone: its references to the document's schemas made local again."""
    text = json.dumps(payload)
    used = {name: schema for name, schema in shared.items() if f'"#/components/schemas/{name}"' in text}
    # A shared schema may itself refer to others (an org to its domains), which the event's own $defs hold too.
    while True:
        more = {name: schema for name, schema in shared.items() if name not in used
                and any(f'"#/components/schemas/{name}"' in json.dumps(s) for s in used.values())}
        if not more:
            break
        used |= more
    restored: dict[str, Any] = json.loads(text.replace("#/components/schemas/", "#/$defs/"))
    if used:
        restored["$defs"] = json.loads(json.dumps(used).replace("#/components/schemas/", "#/$defs/"))
    return restored
