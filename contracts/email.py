"""Events published by the email service: verification codes, delivery status, the suppression list."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Event, register

DeliveryStatus = Literal["queued", "sent", "delivered", "deferred", "bounced", "complained", "suppressed"]


@register
class CodeSent(Event):
    TOPIC: ClassVar[str] = "email.codes"
    KEY_FIELD: ClassVar[str] = "user_id"
    code_id: str
    user_id: str
    org_id: str
    agent_id: str
    sent_to: str = Field(description="The address, masked.", examples=["j***@acme.example"])
    expires_at: datetime


@register
class CodeVerified(Event):
    TOPIC: ClassVar[str] = "email.codes"
    KEY_FIELD: ClassVar[str] = "user_id"
    code_id: str
    user_id: str
    org_id: str
    agent_id: str


@register
class CodeVerificationFailed(Event):
    TOPIC: ClassVar[str] = "email.codes"
    KEY_FIELD: ClassVar[str] = "user_id"
    code_id: str
    user_id: str
    org_id: str
    agent_id: str
    attempts_left: int
    locked: bool


@register
class EmailStatusChanged(Event):
    TOPIC: ClassVar[str] = "email.delivery"
    KEY_FIELD: ClassVar[str] = "address"
    address: str
    status: DeliveryStatus
    kind: str = Field("", description="What the message was, e.g. verification_code.")
    reason: str | None = None
    at: datetime


@register
class SuppressionRemoved(Event):
    TOPIC: ClassVar[str] = "email.delivery"
    KEY_FIELD: ClassVar[str] = "address"
    address: str
    user_id: str | None = None
    agent_id: str | None = None
