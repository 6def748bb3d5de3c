"""The embedded product, driven in process through its public API as the web UI and other systems drive it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from gateway.config import GatewaySettings
from helpdesk import embedded

Product = tuple[embedded.Embedded, httpx.AsyncClient]


@contextlib.asynccontextmanager
async def running(gateway_settings: GatewaySettings | None = None) -> AsyncIterator[Product]:
    """The product seeded with the demo data and started, with a client of its gateway."""
    product = embedded.build(gateway_settings=gateway_settings)
    transport = httpx.ASGITransport(app=product.app)
    async with (product.app.router.lifespan_context(product.app),
                httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client):
        yield product, client


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    """The headers of a request made by the demo user with this e-mail."""
    response = await client.post("/api/v1/auth/demo-login", json={"email": email})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
