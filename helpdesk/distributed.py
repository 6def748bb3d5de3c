"""The distributed mode: one service per process, on Kafka and MongoDB, configured by environment."""

from __future__ import annotations

from typing import Literal

import httpx
from fastapi import FastAPI

from gateway import app as gateway_app
from gateway.clients import AccessClient, EmailClient, IdentityClient, SearchClient, Services
from gateway.config import GatewaySettings
from helpdesk.services import SERVICES
from runtime import heap, metrics, mongo
from runtime.kafka import KafkaBus
from runtime.service import Infrastructure
from runtime.settings import CommonSettings
from runtime.web import Check, run_around

ServiceName = Literal["gateway", "identity", "search", "email", "access"]
SETTINGS: dict[str, type[CommonSettings]] = {
    "gateway": GatewaySettings, **{name: kind.settings for name, kind in SERVICES.items()}}


def settings_for(name: ServiceName) -> CommonSettings:
    return SETTINGS[name]()


def build(name: ServiceName, settings: CommonSettings) -> FastAPI:
    metrics.serve_as(name)
    if isinstance(settings, GatewaySettings):
        return _gateway(settings)
    client, db = mongo.connect(settings.mongo_url, settings.mongo_database, app_name=name)
    bus = KafkaBus(settings.kafka_bootstrap, client_id=name, topic_prefix=settings.topic_prefix,
                   attempts=settings.delivery_attempts)

    async def store_ready() -> bool:
        return await mongo.ping(db)

    checks: dict[str, Check] = {"store": store_ready, "bus": bus.ready}
    service = SERVICES[name].build(settings, Infrastructure(bus, checks, db))
    checks["started"] = service.ready
    # Last of its start: whatever the service loaded to serve (a memory replica's index) leaves the collector's sight.
    service.on_start = [*service.on_start, heap.keep_loaded]
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


# How long the gateway keeps an idle connection to a service: well below the services' own idle timeout
# (helpdesk.cli.SERVER, uvicorn's timeout_keep_alive), so that the gateway, not the service, closes it, and a request
# is not sent on a connection the service is closing at that moment.
IDLE_CONNECTION_SECONDS = 2.0


def service_http(url: str, settings: GatewaySettings) -> httpx.AsyncClient:
    """The gateway's pooled client to one service: the settings' timeout for an answer, idle connections closed
    before the service would close them."""
    return httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(settings.service_timeout_seconds),
                             limits=httpx.Limits(keepalive_expiry=IDLE_CONNECTION_SECONDS))


def _gateway(settings: GatewaySettings) -> FastAPI:
    services = Services(identity=IdentityClient(service_http(settings.identity_url, settings)),
                        search=SearchClient(service_http(settings.search_url, settings)),
                        email=EmailClient(service_http(settings.email_url, settings)),
                        access=AccessClient(service_http(settings.access_url, settings)))
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

