"""The gateway's clients of the four services, one typed client each: every internal path is written there once."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.clients.access import AccessClient
from gateway.clients.base import ServiceClient
from gateway.clients.email import EmailClient
from gateway.clients.identity import IdentityClient
from gateway.clients.search import SearchClient

__all__ = ["AccessClient", "EmailClient", "IdentityClient", "SearchClient", "ServiceClient", "Services"]


@dataclass(frozen=True)
class Services:
    identity: IdentityClient
    search: SearchClient
    email: EmailClient
    access: AccessClient

    def all(self) -> tuple[ServiceClient, ...]:
        return self.identity, self.search, self.email, self.access
