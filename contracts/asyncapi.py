"""The AsyncAPI 3.0.0 document of the events: every topic a channel with how Kafka keeps it, every event a message on
it with its key, headers and payload (the event's JSON Schema, made as for contracts/schemas/), every field with its
description, and for each topic the operation of a subscriber receiving it.

`helpdesk contracts write` keeps it in contracts/asyncapi.json and `helpdesk contracts check` fails when that file
is not what the code makes now; the gateway serves it at /asyncapi.json and shows it at /asyncapi.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from contracts.envelope import Event
from contracts.registry import event_types
from contracts.topics import EVENT_TOPICS, REPLICATION_FACTOR, Topic, min_insync_replicas

PATH = Path(__file__).parent / "asyncapi.json"
KAFKA_BINDING = "0.5.0"
SCHEMAS = "#/components/schemas/"
HEADERS = "EventHeaders"

Document = dict[str, Any]

INFO = {
    "title": "Partner Help Desk events",
    "version": "1",
    "description": (
        "Every event the Partner Help Desk's services publish on Apache Kafka, by topic. An event is a JSON object "
        "with an envelope (`event_type`, `event_id`, `occurred_at`, `schema_version`, `partner_id`, "
        "`correlation_id`, `traceparent`) and the fields of its type. Messages are keyed by the id of the entity "
        "they are about, so one entity's events stay in order. Delivery is at least once: a consumer drops an "
        "`event_id` it has handled already. A consumer ignores fields it does not know, upcasts an older "
        "`schema_version` and sets aside a newer one. A message a consumer group cannot handle goes to its "
        "dead-letter topic `dlq.<group>` with the error in its headers (`helpdesk dlq list`, `helpdesk dlq replay`). "
        "A deployment may put a prefix before every topic's name (`<SERVICE>_TOPIC_PREFIX`)."),
}
SERVER = {
    "host": "kafka.example.com:9092",
    "protocol": "kafka",
    "description": ("The product's Kafka cluster; each service is given its own bootstrap servers "
                    "(`<SERVICE>_KAFKA_BOOTSTRAP`). `helpdesk infra topics` creates the topics with their settings."),
}
HEADER_FIELDS = {
    "type": "object",
    "description": "Kafka headers of every event, beside its JSON body.",
    "required": ["event_type", "correlation_id"],
    "properties": {
        "event_type": {"type": "string", "description": "The event's type, as in its body: a consumer can pass over "
                                                       "events it does not read without parsing them.",
                       "examples": ["UserUpserted"]},
        "correlation_id": {"type": "string", "description": "The body's `correlation_id`: the request or event that "
                                                           "caused this one; empty when its producer gave none."},
        "traceparent": {"type": "string", "description": "W3C trace context (https://www.w3.org/TR/trace-context/) "
                                                        "of the request or event handling that caused this one, as "
                                                        "in the body's `traceparent`; absent when it was made outside "
                                                        "any trace.",
                        "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                        "examples": ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]},
    },
}


def document() -> Document:
    """The whole AsyncAPI document, made from the event classes and the topics' declaration."""
    schemas: dict[str, Any] = {HEADERS: HEADER_FIELDS}
    events = event_types()
    messages = {name: _message(cls, schemas) for name, cls in events.items()}
    on_topic: dict[str, list[str]] = defaultdict(list)
    for name, cls in events.items():
        on_topic[cls.TOPIC].append(name)
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "defaultContentType": "application/json",
        "servers": {"kafka": SERVER},
        "channels": {topic.name: _channel(topic, on_topic[topic.name], events) for topic in EVENT_TOPICS},
        "operations": {f"{topic.name}.receive": _operation(topic, on_topic[topic.name]) for topic in EVENT_TOPICS},
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


@functools.cache
@functools.cache
def text() -> str:
    """The document as contracts/asyncapi.json keeps it (and the gateway serves it): the same for the same code,
    so it is made once."""
    return json.dumps(document(), indent=2) + "\n"


def write(path: Path = PATH) -> Path:
    path.write_text(text())
    return path


def stale(path: Path = PATH) -> bool:
    """Whether the kept document differs from the one the code makes now (or is missing)."""
    return not path.exists() or path.read_text() != text()


def _message(cls: type[Event], schemas: dict[str, Any]) -> Document:
    payload = cls.model_json_schema(ref_template=SCHEMAS + "{model}")
    for name, schema in payload.pop("$defs", {}).items():
        if schemas.setdefault(name, schema) != schema:  # one name, two shapes: a reference could not tell them apart
            raise TypeError(f"two different models are named {name}; rename one of them")
    key = _key_field(cls)
    return {
        "name": cls.__name__,
        "title": cls.__name__,
        "summary": payload["description"].split("\n")[0],
        "description": f"{payload['description']}\n\nPublished by {_producer(cls)} on `{cls.TOPIC}`, keyed by "
                       f"`{cls.KEY_FIELD}`.",
        "contentType": "application/json",
        "headers": {"$ref": SCHEMAS + HEADERS},
        "correlationId": {"description": "The request or event that caused this one.",
                          "location": "$message.header#/correlation_id"},
        "payload": payload,
        "bindings": {"kafka": {"key": {"type": "string", "description": f"The event's `{cls.KEY_FIELD}`: "
                                       f"{key.description}", **({"examples": key.examples} if key.examples else {})},
                               "bindingVersion": KAFKA_BINDING}},
    }


def _key_field(cls: type[Event]) -> FieldInfo:
    """The field the event is keyed by: `user.id` is the `id` of the event's `user`."""
    model: type[BaseModel] = cls
    *path, last = cls.KEY_FIELD.split(".")
    for part in path:
        model = cast(type[BaseModel], model.model_fields[part].annotation)
    return model.model_fields[last]


def _producer(cls: type[Event]) -> str:
    """Who publishes the event: the module that defines it is named after its producer."""
    name = cls.__module__.rsplit(".", 1)[-1]
    return "the gateway" if name == "gateway" else f"the {name} service"


def _channel(topic: Topic, names: list[str], events: dict[str, type[Event]]) -> Document:
    kept = ("Compacted: the last event of each key is kept for ever." if topic.cleanup_policy == "compact"
            else f"Each event is kept {topic.retention_days} day{'s' * (topic.retention_days != 1)}.")
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"{topic.holds} Published by {_producer(events[names[0]])}. {kept}",
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "bindings": {"kafka": {
            "partitions": topic.partitions,
            "replicas": REPLICATION_FACTOR,
            "topicConfiguration": {"cleanup.policy": [topic.cleanup_policy], "retention.ms": topic.retention_ms,
                                   "min.insync.replicas": min_insync_replicas(REPLICATION_FACTOR)},
            "bindingVersion": KAFKA_BINDING}},
    }


def _operation(topic: Topic, names: list[str]) -> Document:
    return {
        "action": "receive",
        "title": f"Receive {topic.name}",
        "summary": f"What a subscriber of {topic.name} receives: {', '.join(names)}.",
        "description": "A consumer group reads the topic's partitions, the events of one key in order, and commits "
                       "its offsets once an event is handled. It passes over event types it does not read.",
        "channel": {"$ref": f"#/channels/{topic.name}"},
        "messages": [{"$ref": f"#/channels/{topic.name}/messages/{name}"} for name in names],
    }
