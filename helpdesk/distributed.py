"""The distributed mode: one service per process, on Kafka and MongoDB, configured by environment."""

from __future__ import annotations

from typing import Literal

import httpx
from fastapi import FastAPI

from gateway import app as gateway_app
from gateway.clients import ServiceClient, Services
from gateway.config import GatewaySettings
from runtime import mongo
from runtime.kafka import KafkaBus
from runtime.settings import CommonSettings
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

ServiceName = Literal["gateway", "identity", "search", "email", "access"]
SETTINGS: dict[str, type[CommonSettings]] = {
    "gateway": GatewaySettings, "identity": IdentitySettings, "search": SearchSettings,
    "email": EmailSettings, "access": AccessSettings,
}


def settings_for(name: ServiceName) -> CommonSettings:
    return SETTINGS[name]()


def build(name: ServiceName, settings: CommonSettings) -> FastAPI:
    if isinstance(settings, GatewaySettings):
        return _gateway(settings)
    client, db = mongo.connect(settings.mongo_url, settings.mongo_database, app_name=name)
    bus = KafkaBus(settings.kafka_bootstrap, client_id=name, topic_prefix=settings.topic_prefix,
                   attempts=settings.delivery_attempts)

    async def store_ready() -> bool:
        return await mongo.ping(db)

    checks: dict[str, Check] = {"store": store_ready, "bus": bus.ready}
    if isinstance(settings, IdentitySettings):
        service = identity_app.build(settings, IdentityStore.mongo(db), bus, checks)
    elif isinstance(settings, SearchSettings):
        service = search_app.build(settings, search_app.store_for(settings, db), bus, checks)
    elif isinstance(settings, EmailSettings):
        service = email_app.build(settings, AddressStore.mongo(db), bus, checks)
    elif isinstance(settings, AccessSettings):
        service = access_app.build(settings, GrantStore.mongo(db), bus, checks)
    else:
        raise ValueError(f"unknown service {name!r}")
    checks["started"] = service.ready
    service.attach(bus)

    async def start() -> None:
        await bus.start()
        await service.start()

    async def stop() -> None:
        await service.stop()
        await bus.stop()
        await client.close()

    run_around(service.api, start, stop)
    return service.api


def _gateway(settings: GatewaySettings) -> FastAPI:
    def client(name: str, url: str) -> ServiceClient:
        timeout = httpx.Timeout(settings.service_timeout_seconds)
        return ServiceClient(name, httpx.AsyncClient(base_url=url, timeout=timeout))

    services = Services(identity=client("identity", settings.identity_url),
                        search=client("search", settings.search_url), email=client("email", settings.email_url),
                        access=client("access", settings.access_url))
    bus = KafkaBus(settings.kafka_bootstrap, client_id="gateway", topic_prefix=settings.topic_prefix,
                   attempts=settings.delivery_attempts)
    gateway = gateway_app.build(settings, services, bus, {"bus": bus.ready})
    gateway.attach(bus)

    async def start() -> None:
        await bus.start()
        await gateway.start()

    async def stop() -> None:
        await gateway.stop()
        await bus.stop()
        for service_client in services.all():
            await service_client.close()

    run_around(gateway.api, start, stop)
    return gateway.api

