"""The audit trail: every agent action on a customer's data becomes one AgentActionRecorded event."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import Depends, Request

from contracts import Event
from contracts.gateway import AgentActionRecorded
from gateway.auth import Principal
from runtime.bus import Bus
from runtime.logs import current_correlation_id
from runtime.web import ApiError

log = logging.getLogger(__name__)


class AuditTrail:
    def __init__(self, bus: Bus, timeout: float) -> None:
        self.bus = bus
        self.timeout = timeout

    async def record(self, agent: Principal, action: str, target_type: str, target_id: str, org_id: str, *,
                     reason: str | None = None) -> None:
        """Publish before answering: an action that cannot be recorded is not served. `reason` is the agent's own
        words for an action that asks for one (a session, a request, an admin change); the customer reads it."""
        event = AgentActionRecorded(
            agent_id=agent.user_id, agent_email=agent.email, action=action, target_type=target_type,
            target_id=target_id, org_id=org_id, partner_id=agent.partner_id or None,
            correlation_id=current_correlation_id(), reason=reason,
        )
        # The bus is down: refuse rather than serve an unaudited read.
        await published(self.bus, event, "This action cannot be recorded right now. Please try again.", self.timeout)
        # The target stays in the event: a search's is what the agent typed, an address or a phone number, and a
        # log line is read by more people and kept longer. The correlation id leads from this line to the event.
        log.info("agent action", extra={"agent_id": agent.user_id, "action": action, "target_type": target_type,
                                        "org_id": org_id})


class Commands:
    """What the gateway asks a service to do on an agent's behalf, as events (a code to send), once recorded."""

    def __init__(self, bus: Bus, timeout: float) -> None:
        self.bus = bus
        self.timeout = timeout

    async def send(self, command: Event) -> None:
        await published(self.bus, command, "This request cannot be passed on right now. Please try again.",
                        self.timeout)


async def published(bus: Bus, event: Event, refusal: str, seconds: float) -> None:
    """Publish `event`, or answer 503 with `refusal` when the bus cannot take it within `seconds`.

    While the broker is away the producer holds a message until its own request timeout: a request would wait
    as long on top of its other work. A message given up on here may still be delivered if the broker returns
    within that timeout, so a refused action can appear in the audit log: recorded, never lost."""
    try:
        async with asyncio.timeout(seconds):
            await bus.publish(event)
    except Exception as error:
        log.error("event not published", extra={"event_type": event.event_type, "error": repr(error)})
        raise ApiError(503, "service_unavailable", refusal, headers={"Retry-After": "5"}) from error


async def _audit(request: Request) -> AuditTrail:
    trail: AuditTrail = request.app.state.audit
    return trail


AuditDep = Annotated[AuditTrail, Depends(_audit)]


async def _commands(request: Request) -> Commands:
    commands: Commands = request.app.state.commands
    return commands


CommandsDep = Annotated[Commands, Depends(_commands)]
