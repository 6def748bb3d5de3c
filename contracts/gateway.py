"""Events published by the gateway: commands on behalf of an agent, and the audit trail of agent actions."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event


class CodeRequested(Event):
    """An agent asked for a verification code to be sent to a user."""

    TOPIC: ClassVar[str] = "gateway.commands"
    KEY_FIELD: ClassVar[str] = "user_id"
    code_id: str = Field(description="Id the code will be known by in the email service's events about it.")
    user_id: str = Field(description="The user to send the code to; the topic is keyed by it.", examples=["u-jane"])
    org_id: str = Field(description="The customer org the user belongs to.", examples=["o-acme"])
    agent_id: str = Field(description="User id of the agent asking.", examples=["u-agent"])


class AgentActionRecorded(Event):
    """An agent read or changed a customer's data; the customer's admins can see it in their audit log."""

    TOPIC: ClassVar[str] = "gateway.audit"
    KEY_FIELD: ClassVar[str] = "org_id"
    agent_id: str = Field(description="User id of the agent.", examples=["u-agent"])
    agent_email: str = Field(description="The agent's e-mail address when they acted, as the customer's admins "
                                         "see it in their audit log.", examples=["agent@northwind.example"])
    action: str = Field(description="What the agent did: `<target type>.<verb>`, or `search`.",
                        examples=["user.viewed", "search"])
    target_type: str = Field(description="What kind of thing the action touched.",
                             examples=["user", "customer", "device", "order", "search"])
    target_id: str = Field(description="Id of what was touched (an order's number); for a search, what the agent "
                                       "typed.", examples=["u-jane", "WO-100200"])
    org_id: str = Field(description="The customer org the action touched; the topic is keyed by it. Empty for a "
                                    "search not limited to one customer, which is keyed by `agent_id` instead.",
                        examples=["o-acme"])
    reason: str | None = Field(None, description="Why the agent did it, in the agent's words (a ticket number or a "
                                                 "sentence), when the action asks for one: a read-only session, a "
                                                 "request for admin access, an admin change; null otherwise.",
                               examples=["Ticket 4711: cannot join meetings"])

    def key(self) -> str:
        """The customer's id; for a search over all the partner's customers, the agent's, so that the most frequent
        action spreads over the partitions instead of filling the one of the empty key."""
        return self.org_id or self.agent_id
