"""The envelope every event carries: its id, time, schema version, partner and correlation, its topic and key."""

from __future__ import annotations

import os
import random
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


def _now() -> datetime:
    return datetime.now(UTC)


_ids = random.Random(int.from_bytes(os.urandom(16), "big"))


_VERSION_4 = ~(0xF000 << 64) & ~(0xC000 << 48), (0x4000 << 64) | (0x8000 << 48)


def _new_id() -> str:
    """A random (version 4) UUID; seeded once from the OS, as a system call per event costs too much."""
    clear, set_ = _VERSION_4
    digits = f"{_ids.getrandbits(128) & clear | set_:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


trace_parent: ContextVar[str] = ContextVar("trace_parent", default="")
"""The W3C `traceparent` of the span in which events are being made now ("" when none): the runtime sets it as a
request or an event is handled, and each event made meanwhile carries it."""


def schema_version_field(current: int) -> Any:
    """The `schema_version` field of an event whose shape is now at version `current`. An event whose shape
    changes in a way its consumers cannot read declares `schema_version: int = schema_version_field(2)`, and
    contracts/registry.py gets an upcaster from version 1, so messages already on the topics still decode."""
    return Field(current, description="Version of this event's shape; a consumer upcasts an older one on "
                                      "reading and refuses a newer one than it knows.")


class Event(BaseModel):
    """Base of every event: the envelope fields, plus the topic and key the event travels with."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TOPIC: ClassVar[str]
    KEY_FIELD: ClassVar[str]

    event_type: str = Field("", description="Name of the event class; tells consumers how to read the rest.",
                            examples=["UserUpserted"])
    event_id: str = Field(default_factory=_new_id, description="Random UUID of this event. Delivery is at least "
                          "once: a consumer drops an id it has already processed.",
                          examples=["0b6f7d1e-3c4a-4f5e-9a2b-8c7d6e5f4a3b"])
    occurred_at: datetime = Field(default_factory=_now, description="When it happened (UTC).")
    schema_version: int = schema_version_field(1)
    partner_id: str | None = Field(None, description="The partner whose data this is about, when there is one.")
    correlation_id: str = Field("", description="Id of the request or event that caused this one, to follow it "
                                "through logs and other events; empty when its producer gave none.")
    traceparent: str = Field(default_factory=lambda: trace_parent.get(), description="W3C trace context "
                             "(https://www.w3.org/TR/trace-context/) of the request or event handling that caused this "
                             "one; also sent as the `traceparent` header. Empty when it was made outside any trace.",
                             examples=["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])

    @classmethod
    def current_schema_version(cls) -> int:
        """The version of the event's shape this code writes and reads: its `schema_version` default."""
        return int(cls.model_fields["schema_version"].default)

    def model_post_init(self, context: Any, /) -> None:
        if not self.event_type:
            object.__setattr__(self, "event_type", type(self).__name__)

    def key(self) -> str:
        """The id of the entity the event is about: Kafka keeps one entity's events in order by it."""
        value: Any = self
        for part in self.KEY_FIELD.split("."):
            value = getattr(value, part)
        return str(value)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
