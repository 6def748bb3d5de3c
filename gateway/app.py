"""The gateway's composition root: the public API and the web UI over clients of the services."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from contracts import asyncapi
from gateway.audit import AuditTrail, Commands
from gateway.auth import TokenIssuer, Verifier
from gateway.clients import Services
from gateway.config import GatewaySettings
from gateway.edge import PrivateMetrics, SecurityHeaders, TrustedHosts
from gateway.jwks import JwksVerifier
from gateway.limits import RateLimit, RequestLimits
from gateway.roles import RoleProjection
from gateway.routes import (
    admin_access,
    auth,
    customer_admin,
    customers,
    devices,
    operator,
    orders,
    partner_admin,
    read_only,
    search,
    users,
    verification_codes,
)
from gateway.sessions import SessionProjection
from runtime.bus import Bus
from runtime.service import Service
from runtime.web import Check, create_app

STATIC = Path(__file__).parent / "static"


# Every area of the public API, in the order of its paths in /openapi.json.
# The routes a help desk asks most first: a request is matched against the routes in this order. No two routers
# have an address in common, so the order changes nothing else.
ROUTERS = (search.router, users.router, customers.router, devices.router, orders.router, verification_codes.router,
           read_only.router, admin_access.router, auth.router, customer_admin.router, partner_admin.router,
           operator.router)


def build(settings: GatewaySettings, services: Services, bus: Bus, checks: dict[str, Check] | None = None
          ) -> Service:
    """The gateway over `services`; it publishes audit events on `bus` and reads role changes from it."""
    projection = RoleProjection()
    # Ready means this replica can serve: its bus, and the roles it authorizes with, read to the end. A service
    # behind it being down is answered route by route with a 503 naming that service; it does not take every
    # replica out of its load balancer (and with them the routes that still work).
    checks = {**(checks or {}), "roles": bus.caught_up}
    app = create_app("Partner Help Desk", checks, version="1", docs_url=None,  # served from STATIC, see _serve_ui
                     description="Find a caller's customer, user, device or order, and help them safely.")
    app.state.settings = settings
    app.state.services = services
    app.state.roles = projection
    app.state.sessions = sessions = SessionProjection()
    app.state.audit = AuditTrail(bus, settings.publish_timeout_seconds)
    app.state.commands = Commands(bus, settings.publish_timeout_seconds)
    app.state.search_limit = RateLimit(settings.search_burst, settings.search_per_minute, name="search")
    issuer, verifier = _verifier(settings)
    app.state.issuer, app.state.verifier = issuer, verifier
    on_stop = [verifier.close] if isinstance(verifier, JwksVerifier) else []
    app.add_middleware(RequestLimits, max_body=settings.max_body_bytes, max_query=settings.max_query_chars,
                       large_bodies={operator.IMPORT_PATH: settings.max_import_bytes}, max_path=settings.max_path_bytes)
    app.add_middleware(TrustedHosts, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(PrivateMetrics)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: on every answer, refusals included
    for router in ROUTERS:
        app.include_router(router)
    _serve_ui(app)
    return Service("gateway", app, subscriptions=[projection.subscription(), sessions.subscription()],
                   on_stop=on_stop)


def _verifier(settings: GatewaySettings) -> tuple[TokenIssuer | None, Verifier]:
    if settings.auth_mode == "demo":
        issuer = TokenIssuer(settings.jwt_issuer, settings.jwt_audience, settings.token_ttl_seconds,
                             settings.demo_signing_key)
        return issuer, issuer
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
    return None, JwksVerifier(settings.jwt_issuer, settings.jwt_audience, settings.jwks_url, http,
                              settings.jwks_refetch_cooldown_seconds)


def _serve_ui(app: FastAPI) -> None:
    """The web console, the API docs and the events' docs (AsyncAPI), from the gateway's own files only (see
    gateway/edge.py)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html")

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_document() -> Response:
        return Response(asyncapi.text(), media_type="application/json")

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> FileResponse:
        return FileResponse(STATIC / "asyncapi.html")
