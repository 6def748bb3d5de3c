"""Every event by name and topic, and decoding a message body back into its event, upcast to today's version.

Events are found, not registered: each public `Event` subclass a producer module defines is one (a topic's base
class is private, named with a leading underscore). This module imports the producer modules; none of them imports
it, so the arrows run one way.

Upcasting. An event whose shape changes in a way its consumers cannot read (a field renamed, made required, given
another type) raises its version: `schema_version: int = schema_version_field(2)` in its class, and an entry in
`UPCASTERS` keyed by (event type, the version it reads) whose function turns a body of that version into one of
the next. Messages already on the topics keep their old version; `decode` applies the functions one version at a
time until the body is at the class's version, then validates it. A body of a newer version than the code knows
(a producer upgraded before this consumer) is refused, like any message that is not an event we can read: the
runtime's consumers dead-letter it with the error, and the partition moves on.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts import access, email, gateway, identity
from contracts.envelope import Event

PRODUCERS: tuple[ModuleType, ...] = (access, email, gateway, identity)

Body = dict[str, Any]
Upcaster = Callable[[Body], Body]


class UnknownEvent(ValueError):
    """A message body that is not an event this code can read; the message says why."""


class UnknownSchemaVersion(UnknownEvent):
    """An event of a schema version this code cannot bring to the one it reads: newer, or with no upcaster."""


def _events_of(module: ModuleType) -> dict[str, type[Event]]:
    return {name: value for name, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, Event) and value.__module__ == module.__name__
            and not name.startswith("_")}


def _collect(modules: tuple[ModuleType, ...]) -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    for module in modules:
        for name, cls in _events_of(module).items():
            if name in found:  # `event_type` is the class name: two classes of one name could not be told apart
                raise TypeError(f"event {name} is defined in both {found[name].__module__} and {module.__name__}")
            found[name] = cls
    return found


EVENTS: dict[str, type[Event]] = _collect(PRODUCERS)
"""Every event class by its `event_type`."""

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event type, version read) -> a function from a body of that version to one of the next; see the module's text.
The function may return the body it was given, changed; `decode` sets `schema_version` itself."""

_VERSION = TypeAdapter(int)


def event_types() -> dict[str, type[Event]]:
    """Every event class by name, sorted."""
    return dict(sorted(EVENTS.items()))


def topics() -> list[str]:
    """Every topic an event travels on, sorted."""
    return sorted({cls.TOPIC for cls in EVENTS.values()})


def decode(raw: bytes | str | dict[str, Any] | None) -> Event:
    """Turn a message body back into its event, upcast to the version this code reads; raise UnknownEvent (a
    ValueError, as is pydantic's error for a body that does not fit its class) when it is not one we can read."""
    if raw is None:
        raise UnknownEvent("message has no body (a Kafka tombstone)")
    data = raw if isinstance(raw, dict) else json.loads(raw)
    if not isinstance(data, dict):
        raise UnknownEvent("message body is not a JSON object")
    name = data.get("event_type")
    cls = EVENTS.get(str(name))
    if cls is None:
        raise UnknownEvent(f"unknown event type {name!r}")
    return cls.model_validate(_upcast(str(name), cls, data))


def _upcast(name: str, cls: type[Event], data: Body) -> Body:
    """The body of an event of type `name` at the version `cls` reads, one version at a time."""
    current, version = _current_version(cls), data.get("schema_version", 1)
    if type(version) is not int:  # the rare body written by hand: read it as the model would
        version = _whole_number(name, version)
    if version > current:
        raise UnknownSchemaVersion(f"{name}: schema_version {version} is newer than {current}, the newest this "
                                   "code reads; upgrade the consumer to read it")
    while version < current:
        upcast = UPCASTERS.get((name, version))
        if upcast is None:
            raise UnknownSchemaVersion(f"{name}: no upcaster from schema_version {version} to {version + 1}")
        data = {**upcast(dict(data)), "schema_version": version + 1}
        version += 1
    return data


@functools.cache
def _current_version(cls: type[Event]) -> int:
    """Cached: reading a pydantic field's default costs more than the rest of the check on every message."""
    return cls.current_schema_version()


def _whole_number(name: str, version: object) -> int:
    try:
        return _VERSION.validate_python(version)
    except ValidationError as error:
        raise UnknownSchemaVersion(f"{name}: schema_version {version!r} is not a whole number") from error
