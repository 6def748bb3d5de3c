"""Events published by the access service: customers' grants, temporary admin requests, sessions."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event

_ORG_ID = "The customer org whose access this is about; every event of the topic is keyed by it."


class _GrantChange(Event):
    """A customer's read-only access grant to its partner changed; the envelope's `partner_id` is the partner the
    grant was given to (the one managing the customer when it was given)."""

    TOPIC: ClassVar[str] = "access.grants"
    KEY_FIELD: ClassVar[str] = "org_id"
    org_id: str = Field(description=_ORG_ID, examples=["o-acme"])


class AccessGranted(_GrantChange):
    """A customer granted its partner's Help Desk agents read-only access to its org."""

    granted_by: str = Field(description="User id of the customer admin who granted it.", examples=["u-cadmin"])
    expires_at: datetime | None = Field(None, description="When the grant ends by itself (UTC); null: it lasts "
                                                          "until it is revoked.")


class AccessRevoked(_GrantChange):
    """A customer's grant ended before its time: revoked by an admin, or the customer left the partner."""

    revoked_by: str = Field(description="User id of the customer admin who revoked it, or `customer left the "
                                        "partner` when it ended because another partner (or none) manages the "
                                        "customer now.", examples=["u-cadmin", "customer left the partner"])


class AccessExpired(_GrantChange):
    """A customer's grant reached its `expires_at`; agents lose read-only access to the org."""


class _AccessRequestChange(Event):
    """An agent's request for temporary full admin access to a customer's org moved on."""

    TOPIC: ClassVar[str] = "access.requests"
    KEY_FIELD: ClassVar[str] = "org_id"
    request_id: str = Field(description="Id of the request; the same in every event about it.")
    org_id: str = Field(description=_ORG_ID, examples=["o-acme"])


class AccessRequested(_AccessRequestChange):
    """An agent with the Help Desk Advanced role asked a customer for temporary full admin access; the customer's
    admins are asked by e-mail to approve it."""

    agent_id: str = Field(description="User id of the agent asking.", examples=["u-advanced"])
    agent_name: str = Field(description="The agent's name as the customer's admins see it in the e-mail.",
                            examples=["Ava Advanced"])
    reason: str = Field(description="Why the agent needs it, in the agent's words; shown to the customer's admins.")
    expires_at: datetime = Field(description="When the request lapses if no admin has answered it (UTC).")


class AccessRequestApproved(_AccessRequestChange):
    """A customer admin approved a request: the agent has full admin access until `expires_at`."""

    approved_by: str = Field(description="User id of the customer admin who approved it.", examples=["u-cadmin"])
    expires_at: datetime = Field(description="When the full admin access ends by itself (UTC).")


class AccessRequestDenied(_AccessRequestChange):
    """A customer admin turned a request down; the agent gets no admin access from it."""

    denied_by: str = Field(description="User id of the customer admin who denied it.", examples=["u-cadmin"])


class ReadOnlySessionStarted(Event):
    """An agent opened a customer's org as a read-only admin, under the customer's active grant."""

    TOPIC: ClassVar[str] = "access.sessions"
    KEY_FIELD: ClassVar[str] = "org_id"
    session_id: str = Field(description="Id of the session; the same in every event about it.")
    org_id: str = Field(description="The customer org the session is scoped to; the topic is keyed by it.",
                        examples=["o-acme"])
    agent_id: str = Field(description="User id of the agent who opened it.", examples=["u-agent"])
    reason: str = Field(description="Why the agent opened it, in the agent's words; kept in the audit log.")
    expires_at: datetime = Field(description="When the session ends at the latest (UTC); it ends sooner when the "
                                             "grant is revoked or expires.")
