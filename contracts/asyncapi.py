"""The AsyncAPI 3.0.0 document of the events: every topic a channel with how Kafka keeps it, every event a message on
it with its key, headers and payload (the event's JSON Schema, made as for contracts/schemas/), every field with its
description, and for each topic the operation of a subscriber receiving it. Each consumer group's dead-letter topic
is a channel too, of the one message that lies there: the original message's bytes and key, with why and where from
in the headers runtime/kafka.py gives it.

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
from contracts.topics import (
    CONSUMER_GROUPS,
    DEAD_LETTER_TOPICS,
    EVENT_TOPICS,
    REPLICATION_FACTOR,
    Topic,
    dead_letter_topic,
    min_insync_replicas,
)

PATH = Path(__file__).parent / "asyncapi.json"
KAFKA_BINDING = "0.5.0"
SCHEMAS = "#/components/schemas/"
HEADERS = "EventHeaders"
DEAD_LETTER = "DeadLetter"
DEAD_LETTER_HEADERS = "DeadLetterHeaders"
DEAD_LETTER_TAG = "dead-letter"

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
        "content-type": {"type": "string",
                         "description": "Written by the Kafka client with any message, empty: the body is JSON "
                                        "bytes it does not look into."},
    },
}

# The headers KafkaBus._dead_letter writes (the four required ones) beside the original message's own, which it keeps.
DEAD_LETTER_HEADER_FIELDS = {
    "type": "object",
    "description": "Kafka headers of a dead letter: the original message's own headers as they were (an event's "
                   "`event_type`, `correlation_id` and `traceparent`), with why its consumer group set it aside and "
                   "where it lay before.",
    "required": ["error", "original_topic", "original_partition", "original_offset"],
    "properties": {
        "error": {"type": "string", "maxLength": 1000,
                  "description": "Why the group could not handle the message, cut to 1000 characters: the last "
                                 "attempt's error once every attempt failed, or `undecodable message: …` at once when "
                                 "the value is not an event this consumer reads (not a JSON object, an unknown "
                                 "`event_type`, a newer `schema_version`).",
                  "examples": ["ValueError('the index refused it')",
                               "undecodable message: unknown event type 'UserRenamed'"]},
        "original_topic": {"type": "string", "description": "The topic the message was read from, with the "
                                                           "deployment's topic prefix: where `helpdesk dlq replay` "
                                                           "puts it back.",
                           "examples": ["identity.users"]},
        "original_partition": {"type": "string", "pattern": "^[0-9]+$",
                               "description": "Its partition in `original_topic`, in decimal.", "examples": ["3"]},
        "original_offset": {"type": "string", "pattern": "^[0-9]+$",
                            "description": "Its offset in that partition, in decimal. With the topic and partition it "
                                           "names the message: a replica replaying a topic does not set aside again "
                                           "a message the topic holds when it starts (two replicas starting at the "
                                           "same moment may each set it aside once).",
                            "examples": ["0"]},
        "event_type": {"type": "string", "description": "The original message's `event_type` header, when it had "
                                                       "one.", "examples": ["UserUpserted"]},
        "correlation_id": {"type": "string", "description": "The original message's `correlation_id` header (the "
                                                           "event's), when it had one; a replay puts it back with "
                                                           "the event."},
        "traceparent": {"type": "string", "description": "The original message's `traceparent` header, when it had "
                                                        "one."},
        "content-type": {"type": "string",
                         "description": "Written by the Kafka client with any message, empty: the value is bytes it "
                                        "does not look into."},
    },
}
DEAD_LETTER_MESSAGE = {
    "name": DEAD_LETTER,
    "title": DEAD_LETTER,
    "summary": "A message its consumer group could not handle, set aside as it was read.",
    "description": "The message as it lay on `original_topic`, its value and key unchanged, with why it was set aside "
                   "and where it came from in its headers. A replica of the group writes it once every attempt to "
                   "handle the message failed, so that the partition moves on; nothing else is written here.",
    "contentType": "application/octet-stream",
    "headers": {"$ref": SCHEMAS + DEAD_LETTER_HEADERS},
    "payload": {"type": "string", "format": "binary",
                "description": "The original message's value, byte for byte: an event as the channel of "
                               "`original_topic` describes it (its `event_type` says which), or, when the error "
                               "begins `undecodable message:`, whatever bytes were there, even none."},
    "bindings": {"kafka": {"key": {"type": "string", "description": "The original message's key, unchanged: the id "
                                   "of the entity its event is about, so a replay puts it back on that entity's "
                                   "partition. Absent when the original had none.", "examples": ["u-jane"]},
                           "bindingVersion": KAFKA_BINDING}},
}
DEAD_LETTER_TAGS = {DEAD_LETTER_TAG: {
    "name": DEAD_LETTER_TAG,
    "description": "A consumer group's dead-letter topic `dlq.<group>` holds the messages the group could not handle, "
                   "so that its partitions move on. An operator lists them (`helpdesk dlq list`), fixes the cause and "
                   "puts them back (`helpdesk dlq replay <group>`).",
}}


def document() -> Document:
    """The whole AsyncAPI document, made from the event classes and the topics' declaration."""
    schemas: dict[str, Any] = {HEADERS: HEADER_FIELDS, DEAD_LETTER_HEADERS: DEAD_LETTER_HEADER_FIELDS}
    events = event_types()
    messages = {name: _message(cls, schemas) for name, cls in events.items()}
    on_topic: dict[str, list[str]] = defaultdict(list)
    for name, cls in events.items():
        on_topic[cls.TOPIC].append(name)
    dead_letters = {topic.name: topic for topic in DEAD_LETTER_TOPICS}
    of_group = {group: dead_letters[dead_letter_topic(group)] for group in CONSUMER_GROUPS}
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "defaultContentType": "application/json",
        "servers": {"kafka": SERVER},
        "channels": {topic.name: _channel(topic, on_topic[topic.name], events) for topic in EVENT_TOPICS}
        | {topic.name: _dead_letter_channel(topic, group) for group, topic in of_group.items()},
        "operations": {f"{topic.name}.receive": _operation(topic, on_topic[topic.name]) for topic in EVENT_TOPICS}
        | {f"{topic.name}.receive": _dead_letter_operation(topic, group) for group, topic in of_group.items()},
        "components": {"messages": messages | {DEAD_LETTER: DEAD_LETTER_MESSAGE},
                       "schemas": dict(sorted(schemas.items())), "tags": DEAD_LETTER_TAGS},
    }


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
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"{topic.holds} Published by {_producer(events[names[0]])}. {_kept(topic, 'event')}",
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "bindings": _kafka(topic),
    }


def _dead_letter_channel(topic: Topic, group: str) -> Document:
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"{topic.holds} Written by the group's replicas, read by an operator: `helpdesk dlq list` "
                       f"shows them, `helpdesk dlq replay {group}` puts them back. {_kept(topic, 'message')}",
        "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
        "tags": [{"$ref": f"#/components/tags/{DEAD_LETTER_TAG}"}],
        "bindings": _kafka(topic),
    }


def _kept(topic: Topic, what: str) -> str:
    if topic.retention_days is None:
        return f"Compacted: the last {what} of each key is kept for ever."
    return f"Each {what} is kept {topic.retention_days} day{'s' * (topic.retention_days != 1)}."


def _kafka(topic: Topic) -> Document:
    """The channel's Kafka binding: the topic as `helpdesk infra topics` makes it in production."""
    return {"kafka": {
        "partitions": topic.partitions,
        "replicas": REPLICATION_FACTOR,
        "topicConfiguration": {"cleanup.policy": [topic.cleanup_policy], "retention.ms": topic.retention_ms,
                               "min.insync.replicas": min_insync_replicas(REPLICATION_FACTOR)},
        "bindingVersion": KAFKA_BINDING}}


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


def _dead_letter_operation(topic: Topic, group: str) -> Document:
    return {
        "action": "receive",
        "title": f"Receive {topic.name}",
        "summary": f"What a reader of {topic.name} receives: the messages the consumer group `{group}` set aside.",
        "description": "`helpdesk dlq list` reads the topic without a consumer group and commits nothing. "
                       f"`helpdesk dlq replay {group}` reads it in a consumer group of its own, "
                       f"`dlq-replay.{group}`, and publishes each message back on its `original_topic` with its key, "
                       "so a message is replayed once however often the replay runs; every group reading that "
                       "topic gets it again and, being idempotent, applies it once. A replica that replays its "
                       "topics from the beginning reads the topic too, to set a message aside only once.",
        "channel": {"$ref": f"#/channels/{topic.name}"},
        "messages": [{"$ref": f"#/channels/{topic.name}/messages/{DEAD_LETTER}"}],
        "tags": [{"$ref": f"#/components/tags/{DEAD_LETTER_TAG}"}],
    }
