"""Events published by the gateway: commands on behalf of an agent, and the audit trail of agent actions."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event, register


@register
class CodeRequested(Event):
    """An agent asked for a verification code to be sent to a user."""

    TOPIC: ClassVar[str] = "gateway.commands"
    KEY_FIELD: ClassVar[str] = "user_id"
    code_id: str
    user_id: str
    org_id: str
    agent_id: str


@register
class AgentActionRecorded(Event):
    """An agent read or changed a customer's data; the customer's admins can see it in their audit log."""

    TOPIC: ClassVar[str] = "gateway.audit"
    KEY_FIELD: ClassVar[str] = "org_id"
    agent_id: str
    agent_email: str
    action: str = Field(examples=["user.viewed", "search"])
    target_type: str = Field(examples=["user", "customer", "device", "order", "search"])
    target_id: str
    org_id: str = Field(description="The customer org the action touched.")
