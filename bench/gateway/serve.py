"""A process the bench measures: `helpdesk up` or `helpdesk serve gateway` run through the product's own command
line, so its server, event loop, logging and collector settings are the product's whatever they become, with
only the application it serves swapped.

    python -m bench.gateway.serve embedded PORT      helpdesk up, with the search service's /internal/search
                                                     answered on the same port, beside the gateway
    python -m bench.gateway.serve hello-up PORT      helpdesk up serving a bare ASGI "hello" (the ceiling)
    python -m bench.gateway.serve hello-serve PORT   helpdesk serve gateway serving the same "hello"

The embedded product keeps the search service's internal API off the network: the gateway calls it in process.
To ask it directly, with the same server and the same process (so the gateway's own cost is the difference),
requests to /internal/search go to that service's app, which the gateway's client calls; every other path goes
to the gateway as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import SimpleNamespace
from typing import Any
from unittest import mock

from starlette.types import ASGIApp, Receive, Scope, Send

from helpdesk import cli, distributed, embedded

SEARCH_PATH = "/internal/search"


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    """The least an ASGI application can do: answer every request with 200 "hello"."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


def beside_search(gateway: ASGIApp, search: ASGIApp) -> ASGIApp:
    """One app: the search service's internal search at SEARCH_PATH, the gateway everywhere else (its lifespan
    included, which starts the embedded product)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SEARCH_PATH:
            await search(scope, receive, send)
        else:
            await gateway(scope, receive, send)

    return app


class _WithSearch:
    """The embedded product as built, but for its app."""

    def __init__(self, product: embedded.Embedded) -> None:
        self._product = product
        self.app = beside_search(product.app, product.services["search"].api)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._product, name)


def _build_with_search(build: Callable[..., embedded.Embedded]) -> Callable[..., _WithSearch]:
    return lambda *args, **kwargs: _WithSearch(build(*args, **kwargs))


def main() -> None:
    what, port = sys.argv[1], sys.argv[2]
    swap: AbstractContextManager[Any]
    if what == "embedded":
        swap = mock.patch.object(embedded, "build", _build_with_search(embedded.build))
        argv = ["up", "--port", port]
    elif what == "hello-up":
        # The app is all that `up` takes from what it builds.
        swap = mock.patch.object(embedded, "build", return_value=SimpleNamespace(app=hello))
        argv = ["up", "--port", port, "--no-seed"]
    elif what == "hello-serve":
        swap = mock.patch.object(distributed, "build", return_value=hello)
        os.environ.update(GATEWAY_PORT=port, GATEWAY_AUTH_MODE="demo")
        argv = ["serve", "gateway"]
    else:
        raise SystemExit(f"unknown process {what!r}: embedded, hello-up or hello-serve")
    sys.argv = ["helpdesk", *argv]
    with swap:
        cli.main()


if __name__ == "__main__":
    main()
