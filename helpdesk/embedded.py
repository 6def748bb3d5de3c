"""The embedded mode: the gateway and all four services in one process, in memory, seeded with demo data."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from gateway import app as gateway_app
from gateway.clients import ServiceClient, Services
from gateway.config import GatewaySettings
from runtime.bus import InProcessBus
from runtime.service import Service
from runtime.web import Check, run_around
from services.access import app as access_app
from services.access.config import AccessSettings
from services.access.store import GrantStore
from services.email import app as email_app
from services.email.config import EmailSettings
from services.email.store import AddressStore
from services.identity import app as identity_app
from services.identity.config import IdentitySettings
from services.identity.store import IdentityStore
from services.search import app as search_app
from services.search.config import SearchSettings
from services.search.store import MemorySearchStore


@dataclass
class Embedded:
    bus: InProcessBus
    services: dict[str, Service]
    gateway: Service

    @property
    def app(self) -> FastAPI:
        return self.gateway.api

    async def start(self) -> None:
        await self.bus.start()
        for service in self.services.values():
            await service.start()
        await self.gateway.start()
        for service in self.services.values():
            await service.prepared.wait()
        await self.settle()  # the gateway knows every role of the seeded data before it answers

    async def settle(self) -> None:
        """Publish every pending event and wait until all consumers handled it (for tests and scripts)."""
        for service in self.services.values():
            if service.relay is not None:
                await service.relay.run_once()
        await self.bus.drain()

    async def stop(self) -> None:
        for service in self.services.values():
            await service.stop()
        await self.bus.stop()


def _client(service: Service) -> ServiceClient:
    transport = httpx.ASGITransport(app=service.api)
    return ServiceClient(service.name, httpx.AsyncClient(transport=transport, base_url=f"http://{service.name}"))


def build(seed: bool = True, gateway_settings: GatewaySettings | None = None) -> Embedded:
    bus = InProcessBus()

    def checks() -> dict[str, Check]:
        return {"bus": bus.ready}

    demo = "demo" if seed else "none"
    identity = identity_app.build(IdentitySettings(storage="memory", seed=demo), IdentityStore.memory(), bus, checks())
    search = search_app.build(SearchSettings(storage="memory"), MemorySearchStore(), bus, checks())
    email = email_app.build(EmailSettings(storage="memory", seed=demo), AddressStore.memory(), bus, checks())
    access = access_app.build(AccessSettings(storage="memory", seed=demo), GrantStore.memory(), bus, checks())
    services = {s.name: s for s in (identity, search, email, access)}
    for service in services.values():
        service.attach(bus)
    settings = gateway_settings or GatewaySettings(auth_mode="demo")
    clients = Services(identity=_client(identity), search=_client(search), email=_client(email),
                       access=_client(access))
    gateway = gateway_app.build(settings, clients, bus)
    gateway.attach(bus)
    embedded = Embedded(bus, services, gateway)
    run_around(gateway.api, embedded.start, embedded.stop)
    return embedded
