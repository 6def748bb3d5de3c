"""The embedded mode: the gateway and all four services in one process, in memory, seeded with demo data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from gateway import app as gateway_app
from gateway.clients import AccessClient, EmailClient, IdentityClient, SearchClient, Services
from gateway.clients.in_process import InProcess
from gateway.config import GatewaySettings
from helpdesk.services import SERVICES, ServiceKind
from runtime import metrics
from runtime.bus import InProcessBus
from runtime.service import Infrastructure, Service
from runtime.settings import CommonSettings
from runtime.web import run_around


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


def _in_process(service: Service) -> InProcess:
    """The gateway asks each service through the service's own app, without HTTP between them (no sockets, no
    client, nothing encoded for the wire but the JSON bodies)."""
    return InProcess(service.api, service.name)


def build(seed: bool = True, gateway_settings: GatewaySettings | None = None) -> Embedded:
    # One process, one `service` label: the consumer groups and HTTP routes in the metrics tell its services apart.
    metrics.serve_as("helpdesk")
    bus = InProcessBus()
    services = {name: kind.build(_settings(kind, seed), Infrastructure(bus, {"bus": bus.ready}))
                for name, kind in SERVICES.items()}
    for service in services.values():
        service.attach(bus)
    settings = gateway_settings or GatewaySettings(auth_mode="demo")
    clients = Services(identity=IdentityClient(_in_process(services["identity"])),
                       search=SearchClient(_in_process(services["search"])),
                       email=EmailClient(_in_process(services["email"])),
                       access=AccessClient(_in_process(services["access"])))
    gateway = gateway_app.build(settings, clients, bus)
    gateway.attach(bus)
    embedded = Embedded(bus, services, gateway)
    run_around(gateway.api, embedded.start, embedded.stop)
    return embedded


def _settings(kind: ServiceKind, seed: bool) -> CommonSettings:
    """In memory, seeded with the demo data (where the service has any) unless told otherwise; mail kept, not sent."""
    given: dict[str, Any] = {"storage": "memory"}
    if "seed" in kind.settings.model_fields:
        given["seed"] = "demo" if seed else "none"
    if "mailer" in kind.settings.model_fields:
        given["mailer"] = "memory"  # no real mail: the operator's outbox shows what was "sent"
    return kind.settings(**given)
