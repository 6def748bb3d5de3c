"""The audit log's entries and its pure rules: what an entry says, which entries a reader asked for, in pages.

An entry is what one event said an agent did, kept as it was: nothing changes or removes it once written. A page is
newest first, by (time, event id) so that entries of the same instant keep one order, and a cursor is the position
of the last entry given, so the next page starts right after it: no entry twice, none left out, even while new
entries arrive.
"""

from __future__ import annotations

import base64
import binascii
import heapq
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from runtime.times import UtcTime
from runtime.versioned import Versioned

DEFAULT_PAGE = 50
LARGEST_PAGE = 200
Text = Annotated[str, Field(min_length=1, max_length=320)]


class InvalidCursor(ValueError):
    """A cursor the audit log did not give: altered, truncated or from something else."""


class TimeRangeReversed(ValueError):
    """`since` is after `until`: no time is in that range."""


class NoScope(ValueError):
    """An audit log is read for one customer org or one partner, never for everyone at once."""


class AuditEntry(Versioned):
    """One thing an agent did, as the event that told of it said: its id is the entry's key."""

    event_id: str
    at: datetime
    agent_id: str
    agent_email: str | None = None
    action: str
    target_type: str
    target_id: str
    reason: str | None = None
    correlation_id: str = ""
    org_id: str
    partner_id: str | None = None


class Agent(BaseModel):
    id: str = Field(description="User id of the agent.", examples=["u-agent"])
    email: str | None = Field(description="The agent's e-mail when they acted; null when the event did not say.")


class Target(BaseModel):
    type: str = Field(description="What kind of thing was touched.", examples=["user", "customer", "search"])
    id: str = Field(description="Its id (an order's number); for a search, the text searched for.")


class ShownEntry(BaseModel):
    """An entry as a customer's or a partner's admin reads it."""

    at: datetime = Field(description="When the agent did it (UTC).")
    agent: Agent
    action: str = Field(examples=["user.viewed", "search", "read_only_session.started"])
    target: Target
    reason: str | None = Field(description="Why, in the agent's words, when the action asks for a reason.")
    correlation_id: str = Field(description="Id of the request it was part of, to follow it through other entries.")
    org_id: str = Field(description="The customer org it touched; empty for a search across customers.")


class AuditPage(BaseModel):
    entries: list[ShownEntry] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page.")


def shown(entry: AuditEntry) -> ShownEntry:
    return ShownEntry(at=entry.at, agent=Agent(id=entry.agent_id, email=entry.agent_email), action=entry.action,
                      target=Target(type=entry.target_type, id=entry.target_id), reason=entry.reason,
                      correlation_id=entry.correlation_id, org_id=entry.org_id)


class AuditQuery(BaseModel):
    """Whose entries (an org's, a partner's, or a partner's in one org) and which of them."""

    model_config = ConfigDict(frozen=True)

    org_id: Text | None = Field(None, description="Only entries of this customer org.")
    partner_id: Text | None = Field(None, description="Only entries of this partner's agents.")
    agent: Text | None = Field(None, description="Only this agent's: a user id or an e-mail address.")
    action: Text | None = Field(None, description="Only this action, e.g. `user.viewed`.")
    since: UtcTime | None = Field(None, description="Only entries at or after this time.")
    until: UtcTime | None = Field(None, description="Only entries before this time.")
    cursor: Annotated[str, Field(max_length=200)] | None = Field(None, description="Where the last page ended.")
    limit: int = Field(DEFAULT_PAGE, ge=1, le=LARGEST_PAGE, description="At most this many entries.")


Position = tuple[datetime, str]


def position(entry: AuditEntry) -> Position:
    return entry.at, entry.event_id


class _Marker(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: UtcTime
    event_id: str


def cursor_at(entry: AuditEntry) -> str:
    """An opaque cursor for the position right after `entry` (the page's last)."""
    raw = _Marker(at=entry.at, event_id=entry.event_id).model_dump_json().encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_position(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        marker = _Marker.model_validate_json(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursor(cursor) from error
    return marker.at, marker.event_id


def checked(query: AuditQuery) -> AuditQuery:
    """The query, once it is one the log can answer; else the domain error saying why."""
    if query.org_id is None and query.partner_id is None:
        raise NoScope()
    if query.since is not None and query.until is not None and query.since > query.until:
        raise TimeRangeReversed()
    if query.cursor is not None:
        cursor_position(query.cursor)
    return query


def wanted(entry: AuditEntry, query: AuditQuery) -> bool:
    """Whether the entry is in the reader's scope and passes every filter they gave."""
    return ((query.org_id is None or entry.org_id == query.org_id)
            and (query.partner_id is None or entry.partner_id == query.partner_id)
            and (query.agent is None or query.agent == entry.agent_id
                 or query.agent.casefold() == (entry.agent_email or "").casefold())
            and (query.action is None or entry.action == query.action)
            and (query.since is None or entry.at >= query.since)
            and (query.until is None or entry.at < query.until))


def page(entries: Iterable[AuditEntry], query: AuditQuery) -> AuditPage:
    """The page of `entries` the query asks for: wanted ones, newest first, after the cursor, at most `limit`."""
    after = cursor_position(query.cursor) if query.cursor is not None else None
    kept = (e for e in entries if wanted(e, query) and (after is None or position(e) < after))
    newest = heapq.nlargest(query.limit + 1, kept, key=position)
    chosen = newest[:query.limit]
    more = len(newest) > query.limit
    return AuditPage(entries=[shown(e) for e in chosen], next_cursor=cursor_at(chosen[-1]) if more else None)
