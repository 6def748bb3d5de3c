"""What the gateway tells browsers on every answer, the Host names it answers to at all, and who may read its
metrics."""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.web import HttpMiddleware, error_response

# The web console and the API docs load only the gateway's own files, and no page runs inline script or style:
# text from the data that slipped into a page could not run, nor could the page be framed by another site.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'",
))
BROWSER_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware: every answer carries BROWSER_HEADERS, and no API answer or answer to a signed-in caller is
    kept by a browser or a proxy. Plain ASGI, as `runtime.web.CorrelationIds` explains."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        private = scope["path"].startswith("/api/") or "authorization" in Headers(scope=scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BROWSER_HEADERS.items():
                    headers[name] = value
                if private:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


# A Host header: a name or an IPv4 address, or an IPv6 address in brackets, with an optional port.
_HOST = re.compile(r"(?P<name>[A-Za-z0-9._-]+|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::[0-9]{1,5})?")


class TrustedHosts(HttpMiddleware):
    """ASGI middleware: refuse (400) a request whose Host header is not one of the gateway's names, so that no link
    or address the gateway or a library under it builds from the request can point elsewhere. Like Starlette's
    TrustedHostMiddleware, with "*.example.com" for names under example.com and "*" for any, but with IPv6
    addresses written as in the settings (`::1`) and its refusal in the API's error shape."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        super().__init__(app)
        self.names = {host.lower().strip("[]") for host in allowed_hosts if not host.startswith("*")}
        self.suffixes = tuple(host.lower()[1:] for host in allowed_hosts if host.startswith("*."))
        self.any = "*" in allowed_hosts

    # What the platform asks of every pod at its own address (probes, Prometheus scraping by pod IP): answers that
    # build nothing from the Host header.
    UNCHECKED = frozenset(("/healthz", "/readyz", "/metrics"))

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any or scope["path"] in self.UNCHECKED or self._allowed(Headers(scope=scope).get("host")):
            await self.app(scope, receive, send)
            return
        await error_response(400, "unknown_host", "This help desk is not served at the address the request was sent "
                             "to.")(scope, receive, send)

    def _allowed(self, header: str | None) -> bool:
        found = _HOST.fullmatch(header or "")
        if found is None:
            return False
        host = (found["ipv6"] or found["name"]).lower()
        return host in self.names or host.endswith(self.suffixes)


class PrivateMetrics(HttpMiddleware):
    """ASGI middleware: `/metrics` answers only a request that reached the process directly, as Prometheus scraping a
    pod at its IP does. One that came through an HTTP proxy (ingress-nginx, a cloud load balancer: each adds
    `X-Forwarded-For`, some `Forwarded`) is answered 404, as an address that does not exist: the metrics stay
    inside the cluster whatever the proxy in front of the gateway routes to it."""

    PATH = "/metrics"
    PROXY_HEADERS = ("forwarded", "x-forwarded-for")

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == self.PATH:
            headers = Headers(scope=scope)
            if any(name in headers for name in self.PROXY_HEADERS):
                await error_response(404, "not_found", "Nothing was found at this address.")(scope, receive, send)
                return
        await self.app(scope, receive, send)
