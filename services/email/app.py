"""The email service's composition root: its process, probes and settings, ready for its use-cases."""

from __future__ import annotations

from helpdesk.runtime.bus import Bus
from helpdesk.runtime.service import Service
from helpdesk.runtime.web import Check, create_app
from services.email.config import EmailSettings


def build(settings: EmailSettings, bus: Bus, checks: dict[str, Check]) -> Service:
    return Service("email", create_app("Help Desk email service", checks))
