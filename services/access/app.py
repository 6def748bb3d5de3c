"""The access service's composition root: its process, probes and settings, ready for its use-cases."""

from __future__ import annotations

from helpdesk.runtime.bus import Bus
from helpdesk.runtime.service import Service
from helpdesk.runtime.web import Check, create_app
from services.access.config import AccessSettings


def build(settings: AccessSettings, bus: Bus, checks: dict[str, Check]) -> Service:
    return Service("access", create_app("Help Desk access service", checks))
