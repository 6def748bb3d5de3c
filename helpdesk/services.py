"""The product's services, one row each: its settings and how it builds itself. Both ways to run read this table;
a new service is one new row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.service import Infrastructure, Service
from runtime.settings import CommonSettings
from services.access import app as access_app
from services.access.config import AccessSettings
from services.email import app as email_app
from services.email.config import EmailSettings
from services.identity import app as identity_app
from services.identity.config import IdentitySettings
from services.search import app as search_app
from services.search.config import SearchSettings


@dataclass(frozen=True)
class ServiceKind:
    settings: type[CommonSettings]
    # (its settings, what the runtime gives it) -> the service, built but not started
    build: Callable[[Any, Infrastructure], Service]


SERVICES: dict[str, ServiceKind] = {
    "identity": ServiceKind(IdentitySettings, identity_app.build),
    "search": ServiceKind(SearchSettings, search_app.build),
    "email": ServiceKind(EmailSettings, email_app.build),
    "access": ServiceKind(AccessSettings, access_app.build),
}
