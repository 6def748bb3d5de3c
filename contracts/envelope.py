"""The event envelope every message carries, and decoding a message back into its event class."""

from __future__ import annotations

import json
import os
import random
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


class Event(BaseModel):
    """Base of every event: the envelope fields, plus the topic and key the event travels with."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TOPIC: ClassVar[str]
    KEY_FIELD: ClassVar[str]

    event_type: str = Field("", description="Name of the event class; tells consumers how to read it.")
    event_id: str = Field(default_factory=_new_id, description="Unique id; consumers use it to drop repeats.")
    occurred_at: datetime = Field(default_factory=_now, description="When it happened (UTC).")
    schema_version: int = Field(1, description="Version of this event's schema.")
    partner_id: str | None = Field(None, description="The partner whose data this is about, when there is one.")
    correlation_id: str = Field("", description="Id of the request or event that caused this one.")

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


_REGISTRY: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator: make an event decodable by its name."""
    _REGISTRY[cls.__name__] = cls
    return cls


class UnknownEvent(ValueError):
    """A message whose `event_type` no contract knows."""


def decode(raw: bytes | str | dict[str, Any] | None) -> Event:
    """Turn a message body back into its event; raise ValueError when it is not one we know."""
    if raw is None:
        raise UnknownEvent("message has no body (a Kafka tombstone)")
    data = raw if isinstance(raw, dict) else json.loads(raw)
    if not isinstance(data, dict):
        raise UnknownEvent("message body is not a JSON object")
    name = data.get("event_type")
    cls = _REGISTRY.get(str(name))
    if cls is None:
        raise UnknownEvent(f"unknown event type {name!r}")
    return cls.model_validate(data)


def event_types() -> dict[str, type[Event]]:
    """Every registered event class by name (importing all contract modules first)."""
    import contracts.access
    import contracts.email
    import contracts.gateway
    import contracts.identity  # noqa: F401

    return dict(sorted(_REGISTRY.items()))


def topics() -> list[str]:
    return sorted({cls.TOPIC for cls in event_types().values()})
