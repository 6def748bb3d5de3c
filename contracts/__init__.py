"""Event contracts: the only code the services share."""

from contracts.envelope import Event
from contracts.registry import UnknownEvent, decode, event_types, topics

__all__ = ["Event", "UnknownEvent", "decode", "event_types", "topics"]
