"""Events published by the access service: customers' grants, temporary admin requests, sessions."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

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


class AdminRecipient(BaseModel):
    """A customer admin to mail a request to, in their language."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    address: str = Field(description="The admin's e-mail address.", examples=["it@acme.example"])
    name: str = Field("", description="The admin's name, to greet them.", examples=["Carla Admin"])
    locale: str = Field("en", description="The language of the mail: en or it.", examples=["en"])


class AccessRequested(_AccessRequestChange):
    """An agent with the Help Desk Advanced role asked a customer for temporary full admin access; the customer's
    admins are asked by e-mail to approve it."""

    agent_id: str = Field(description="User id of the agent asking.", examples=["u-advanced"])
    agent_name: str = Field(description="The agent's name as the customer's admins see it in the e-mail.",
                            examples=["Ava Advanced"])
    reason: str = Field(description="Why the agent needs it, in the agent's words; shown to the customer's admins.")
    expires_at: datetime = Field(description="When the request lapses if no admin has answered it (UTC).")
    partner_name: str = Field("", description="The name of the agent's partner, as the customer's admins see it in "
                                              "the e-mail; empty when not known.", examples=["Northwind Partners"])
    admins: tuple[AdminRecipient, ...] = Field((), description="The customer's admins when it was asked: each is "
                                                               "mailed the request.")


class AccessRequestApproved(_AccessRequestChange):
    """A customer admin approved a request: the agent has full admin access until `expires_at`."""

    approved_by: str = Field(description="User id of the customer admin who approved it.", examples=["u-cadmin"])
    expires_at: datetime = Field(description="When the full admin access ends by itself (UTC).")


class AccessRequestDenied(_AccessRequestChange):
    """A customer admin turned a request down; the agent gets no admin access from it."""

    denied_by: str = Field(description="User id of the customer admin who denied it.", examples=["u-cadmin"])


class AccessRequestEnded(_AccessRequestChange):
    """A customer admin ended an approved request's full admin access before its hour was over."""

    ended_by: str = Field(description="User id of the customer admin who ended it.", examples=["u-cadmin"])


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
    token_hash: str | None = Field(None, description="SHA-256 (hex) of the session's token, which is never kept "
                                                     "nor sent: a gateway recognises the token by it.")
    agent_email: str = Field("", description="The agent's e-mail address when they opened it, as the customer's "
                                             "admins see it in their audit log.", examples=["agent@northwind.example"])


SESSION_END_REASONS = ("revoked", "grant_expired", "role_lost", "expired")


class ReadOnlySessionEnded(Event):
    """A read-only session ended before or at its time; its token opens nothing from now on."""

    TOPIC: ClassVar[str] = "access.sessions"
    KEY_FIELD: ClassVar[str] = "org_id"
    session_id: str = Field(description="Id of the session, as in ReadOnlySessionStarted.")
    org_id: str = Field(description="The customer org the session was scoped to; the topic is keyed by it.",
                        examples=["o-acme"])
    agent_id: str = Field(description="User id of the agent who had opened it.", examples=["u-agent"])
    why: str = Field(description="`revoked` (the customer revoked the grant, or left the partner), `grant_expired` "
                                 "(the grant reached its end), `role_lost` (the agent no longer holds the Help Desk "
                                 "role for the partner) or `expired` (its 15 minutes passed).",
                     examples=list(SESSION_END_REASONS))
