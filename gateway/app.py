"""The gateway's composition root: the public API and the web UI over clients of the services."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

from gateway.auth import TokenIssuer
from gateway.clients import Services
from gateway.config import GatewaySettings
from gateway.routes import auth, operator, search
from helpdesk.runtime.service import Service
from helpdesk.runtime.web import create_app

STATIC = Path(__file__).parent / "static"
ROUTERS = (auth.router, operator.router, search.router)


def build(settings: GatewaySettings, services: Services) -> Service:
    checks = {"identity": services.identity.ready, "search": services.search.ready}
    app = create_app("Partner Help Desk", checks, version="1",
                     description="Find a caller's customer, user, device or order, and help them safely.")
    app.state.settings = settings
    app.state.services = services
    app.state.issuer = TokenIssuer(settings.jwt_issuer, settings.jwt_audience, settings.token_ttl_seconds,
                                   settings.demo_signing_key)
    for router in ROUTERS:
        app.include_router(router)
    _serve_ui(app)
    return Service("gateway", app)


def _serve_ui(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")
