"""Events published by the email service: verification codes, delivery status, the suppression list."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Event

DeliveryStatus = Literal["queued", "sent", "delivered", "deferred", "bounced", "complained", "suppressed"]


class _VerificationCodeChange(Event):
    """Something happened to a verification code an agent had sent to a user to confirm a caller's identity."""

    TOPIC: ClassVar[str] = "email.codes"
    KEY_FIELD: ClassVar[str] = "user_id"
    code_id: str = Field(description="Id of the code (never the code itself); the same in every event about it.")
    user_id: str = Field(description="The user the code was sent to; every event of the topic is keyed by it.",
                         examples=["u-jane"])
    org_id: str = Field(description="The customer org the user belongs to.", examples=["o-acme"])
    agent_id: str = Field(description="User id of the agent who asked for the code.", examples=["u-agent"])


class CodeSent(_VerificationCodeChange):
    """A verification code was e-mailed to a user at an agent's request."""

    sent_to: str = Field(description="The address, masked.", examples=["j***@acme.example"])
    expires_at: datetime = Field(description="When the code stops being accepted (UTC), ten minutes after it was "
                                             "sent.")


class CodeVerified(_VerificationCodeChange):
    """The code the caller read back to the agent was right: the caller is the user."""


class CodeVerificationFailed(_VerificationCodeChange):
    """The code the caller read back to the agent was wrong."""

    attempts_left: int = Field(description="How many more tries the code accepts; 0 once it is locked.",
                               examples=[4])
    locked: bool = Field(description="True when wrong tries used up the code: the agent must send a new one.")


class _DeliveryChange(Event):
    """Mail to one address changed state; keyed by the address, so one address's changes stay in order."""

    TOPIC: ClassVar[str] = "email.delivery"
    KEY_FIELD: ClassVar[str] = "address"
    address: str = Field(description="The e-mail address, in the one normalised form the email service keeps it "
                                     "under (lower case).", examples=["jane.doe@acme.example"])


class EmailStatusChanged(_DeliveryChange):
    """A mail provider reported on the last message sent to an address: delivered, bounced, and so on."""

    status: DeliveryStatus = Field(description="What became of the message. A hard bounce is `bounced`, a "
                                               "temporary failure `deferred`; `bounced` and `complained` put the "
                                               "address on the suppression list.")
    kind: str = Field("", description="What the message was, e.g. verification_code; empty when not known.",
                      examples=["verification_code"])
    reason: str | None = Field(None, description="The mail provider's words, e.g. an SMTP reply; null when it gave "
                                                 "none.", examples=["550 5.1.1 mailbox unavailable"])
    at: datetime = Field(description="When it happened (UTC), as the provider reported it; when the report arrived "
                                     "if the provider gave no time.")


class SuppressionRemoved(_DeliveryChange):
    """An agent took an address off the suppression list, so mail reaches it again."""

    user_id: str | None = Field(None, description="The user whose address it is, when the agent came from a user; "
                                                  "null otherwise.", examples=["u-jane"])
    agent_id: str | None = Field(None, description="User id of the agent who removed it; null when it was not an "
                                                   "agent.", examples=["u-agent"])
