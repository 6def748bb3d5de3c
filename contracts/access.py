"""Events published by the access service: customers' grants, temporary admin requests, sessions."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from contracts.envelope import Event, register


@register
class AccessGranted(Event):
    TOPIC: ClassVar[str] = "access.grants"
    KEY_FIELD: ClassVar[str] = "org_id"
    org_id: str
    granted_by: str
    expires_at: datetime | None = None


@register
class AccessRevoked(Event):
    TOPIC: ClassVar[str] = "access.grants"
    KEY_FIELD: ClassVar[str] = "org_id"
    org_id: str
    revoked_by: str


@register
class AccessExpired(Event):
    TOPIC: ClassVar[str] = "access.grants"
    KEY_FIELD: ClassVar[str] = "org_id"
    org_id: str


@register
class AccessRequested(Event):
    TOPIC: ClassVar[str] = "access.requests"
    KEY_FIELD: ClassVar[str] = "org_id"
    request_id: str
    org_id: str
    agent_id: str
    agent_name: str
    reason: str
    expires_at: datetime


@register
class AccessRequestApproved(Event):
    TOPIC: ClassVar[str] = "access.requests"
    KEY_FIELD: ClassVar[str] = "org_id"
    request_id: str
    org_id: str
    approved_by: str
    expires_at: datetime


@register
class AccessRequestDenied(Event):
    TOPIC: ClassVar[str] = "access.requests"
    KEY_FIELD: ClassVar[str] = "org_id"
    request_id: str
    org_id: str
    denied_by: str


@register
class ReadOnlySessionStarted(Event):
    TOPIC: ClassVar[str] = "access.sessions"
    KEY_FIELD: ClassVar[str] = "org_id"
    session_id: str
    org_id: str
    agent_id: str
    reason: str
    expires_at: datetime
