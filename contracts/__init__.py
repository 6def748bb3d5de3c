"""Event contracts: the only code the services share."""

from contracts.envelope import Event, decode, event_types, topics

__all__ = ["Event", "decode", "event_types", "topics"]
