"""The gateway's HTTP edge: over-long addresses and ids, clients that leave mid-import, the headers that protect a
browser, the API and events docs served from the product's own files, the Host names the gateway answers to, and its
metrics kept from callers outside the cluster."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies
from starlette.datastructures import Headers

from contracts import asyncapi
from gateway.clients import IdentityClient
from gateway.config import GatewaySettings
from tests.product import Product, login, running

pytestmark = pytest.mark.e2e

AGENT, ADMIN, OPERATOR = "agent@northwind.example", "admin@northwind.example", "operator@helpdesk.local"
# Every route that takes an id in its path, who calls it, and an id that does not exist.
ID_ROUTES = [
    ("GET", "/api/v1/customers/{}", AGENT, "o-nobody"),
    ("GET", "/api/v1/users/{}", AGENT, "u-nobody"),
    ("GET", "/api/v1/users/{}/email", AGENT, "u-nobody"),
    ("DELETE", "/api/v1/users/{}/suppression", AGENT, "u-nobody"),
    ("GET", "/api/v1/devices/{}", AGENT, "d-nobody"),
    ("GET", "/api/v1/orders/{}", AGENT, "WO-000000"),
    ("PUT", "/api/v1/partner/helpdesk-agents/{}", ADMIN, "u-nobody"),
    ("DELETE", "/api/v1/partner/helpdesk-agents/{}", ADMIN, "u-nobody"),
]
GATEWAY_MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "gateway.yaml"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
CSP_DIRECTIVES = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "connect-src": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'self'",
    "object-src": "'none'",
}


@pytest.fixture
async def product() -> AsyncIterator[Product]:
    async with running() as started:
        yield started


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call_asgi(product: Product, method: str, path: str, headers: dict[str, str],
                    body: list[dict[str, Any]] | None = None) -> Answer:
    """One request straight to the gateway's ASGI app: httpx refuses to send an address over 64 KiB, a real client
    does not, and a client that leaves mid-body is a `http.disconnect` only a hand-made `receive` can send."""
    messages = list(body or [{"type": "http.request", "body": b""}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw_headers = [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in headers.items())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw_headers,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    await product[0].app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], Headers(raw=start["headers"]), content)


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# Over-long addresses and ids

@pytest.mark.parametrize(("method", "path", "caller", "unknown"), ID_ROUTES)
async def test_an_address_longer_than_the_limit_is_refused_with_414_and_logs_no_error(
        product: Product, caplog: pytest.LogCaptureFixture, method: str, path: str, caller: str, unknown: str
) -> None:
    _, client = product
    headers = await login(client, caller)

    huge = await call_asgi(product, method, path.format("x" * 100_000), headers)
    long = await client.request(method, path.format("x" * 5_000), headers=headers)

    assert huge.status == long.status_code == 414
    assert huge.json()["error"]["code"] == long.json()["error"]["code"] == "uri_too_long"
    assert "too long" in huge.json()["error"]["message"]
    assert _errors(caplog) == []


@pytest.mark.parametrize(("method", "path", "caller", "unknown"), ID_ROUTES)
@pytest.mark.parametrize("length", [257, 1_900])
async def test_an_id_longer_than_any_id_is_answered_exactly_like_an_unknown_one(
        product: Product, method: str, path: str, caller: str, unknown: str, length: int) -> None:
    _, client = product
    headers = await login(client, caller)

    nobody = await client.request(method, path.format(unknown), headers=headers)
    too_long = await client.request(method, path.format("x" * length), headers=headers)

    assert nobody.status_code == 404
    assert (too_long.status_code, too_long.content) == (nobody.status_code, nobody.content)


async def test_a_correlation_id_that_is_not_plain_text_does_not_break_a_call(product: Product) -> None:
    _, client = product
    headers = {**await login(client, AGENT), "X-Correlation-ID": "caf\xe9"}

    response = await client.get("/api/v1/users/u-jane", headers={k: v.encode("latin-1") for k, v in headers.items()})

    assert response.status_code == 200
    assert len(response.headers["X-Correlation-ID"]) == 36  # a new one in its place


# A client that leaves in the middle of an import

IMPORT_START = [{"type": "http.request", "more_body": True,
                 "body": (json.dumps({"type": "partner", "id": "p-half", "name": "Half"}) + "\n").encode()},
                {"type": "http.disconnect"}]


def _import_headers(token: dict[str, str]) -> dict[str, str]:
    return {**token, "Content-Type": "application/x-ndjson"}


async def test_a_client_leaving_mid_import_is_one_info_line_not_an_error(
        product: Product, caplog: pytest.LogCaptureFixture) -> None:
    _, client = product
    headers = _import_headers(await login(client, OPERATOR))
    caplog.set_level(logging.INFO)

    answer = await call_asgi(product, "POST", "/api/v1/operator/import", headers, IMPORT_START)

    assert answer.status < 500
    assert _errors(caplog) == []
    assert [r.levelname for r in caplog.records if "disconnected" in r.getMessage()] == ["INFO"]


async def test_a_client_leaving_mid_import_with_identity_in_another_process_is_not_an_error(
        product: Product, caplog: pytest.LogCaptureFixture) -> None:
    embedded_product, client = product
    headers = _import_headers(await login(client, OPERATOR))

    def identity(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"accepted": 0, "rejected": []})

    # A mock transport reads the whole body before answering, as a socket transport sends it to another process:
    # the client's leaving surfaces in the gateway's own call to identity, not inside identity.
    app = embedded_product.app
    remote = IdentityClient(httpx.AsyncClient(transport=httpx.MockTransport(identity), base_url="http://identity"))
    app.state.services = replace(app.state.services, identity=remote)
    caplog.set_level(logging.INFO)

    answer = await call_asgi(product, "POST", "/api/v1/operator/import", headers, IMPORT_START)

    assert answer.status < 500
    assert _errors(caplog) == []
    assert [r.levelname for r in caplog.records if "disconnected" in r.getMessage()] == ["INFO"]


# Headers that protect a browser

def _csp(value: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in value.split(";") if part.strip())
    return {name: rest for name, rest in directives}


async def test_every_answer_carries_the_browser_security_headers(product: Product) -> None:
    _, client = product
    agent = await login(client, AGENT)

    answers = [await client.get("/"), await client.get("/static/app.js"), await client.get("/healthz"),
               await client.get("/openapi.json"), await client.get("/api/v1/me", headers=agent),
               await client.get("/api/v1/me"), await client.get("/no/such/page"), await client.get("/docs")]

    for answer in answers:
        assert {name: answer.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, answer.url
        assert _csp(answer.headers["content-security-policy"]) == CSP_DIRECTIVES, answer.url


async def test_api_answers_and_answers_to_a_signed_in_caller_are_never_stored(product: Product) -> None:
    _, client = product
    agent = await login(client, AGENT)

    answers = [await client.get("/api/v1/me", headers=agent), await client.get("/api/v1/me"),
               await client.post("/api/v1/auth/demo-login", json={"email": AGENT}),
               await client.get("/api/v1/no-such-route"), await client.get("/healthz", headers=agent)]

    for answer in answers:
        assert answer.headers["cache-control"] == "no-store", answer.url


async def test_the_web_console_runs_no_inline_script_or_style(product: Product) -> None:
    _, client = product

    page = await client.get("/")

    html = page.text
    assert page.status_code == 200
    assert re.findall(r"<script\b(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert re.findall(r"\sstyle\s*=", html) == []
    for asset, kind in (("/static/app.js", "javascript"), ("/static/app.css", "text/css")):
        assert f'"{asset}"' in html
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
        assert kind in answer.headers["content-type"], asset


# The API docs, offline

async def test_the_api_docs_load_only_the_products_own_files(product: Product) -> None:
    _, client = product

    page = await client.get("/docs")

    assert page.status_code == 200
    referenced = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    assert referenced
    assert [url for url in referenced if re.match(r"(?:[a-z]+:)?//", url, re.IGNORECASE)] == []
    assert re.findall(r"<script\b(?![^>]*\bsrc=)", page.text) == []
    for url in referenced:
        assert (await client.get(url)).status_code == 200, url
    assert any(url.endswith("swagger-ui-bundle.js") for url in referenced)


async def test_the_events_asyncapi_document_is_public_and_the_one_kept_in_the_repo(product: Product) -> None:
    _, client = product

    answer = await client.get("/asyncapi.json")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.text == asyncapi.PATH.read_text()


async def test_the_events_page_loads_only_the_products_own_files_and_runs_no_inline_script(product: Product) -> None:
    _, client = product

    page = await client.get("/asyncapi")

    assert page.status_code == 200
    referenced = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    assert {"/static/asyncapi.js", "/static/asyncapi.css", "/asyncapi.json"} <= set(referenced)
    assert [url for url in referenced if re.match(r"(?:[a-z]+:)?//", url, re.IGNORECASE)] == []
    assert re.findall(r"<script\b(?![^>]*\bsrc=)", page.text) == []
    assert re.findall(r"\s(?:on[a-z]+|style)\s*=", page.text) == []
    for url in referenced:
        assert (await client.get(url)).status_code == 200, url


async def test_there_is_no_second_docs_page_that_loads_from_elsewhere(product: Product) -> None:
    _, client = product

    assert (await client.get("/redoc")).status_code == 404


# Host names

async def test_a_slash_at_the_end_of_an_address_is_not_redirected_to_the_callers_host(product: Product) -> None:
    _, client = product
    agent = await login(client, AGENT)

    answer = await client.get("/api/v1/search/", params={"q": "jane"}, headers=agent)

    assert answer.status_code == 404
    assert "location" not in answer.headers


async def test_a_host_outside_the_gateways_names_is_refused(product: Product) -> None:
    _, client = product
    agent = await login(client, AGENT)

    redirected = await client.get("/api/v1/search/", params={"q": "jane"},
                                  headers={**agent, "Host": "evil.example"})
    refused = await client.get("/", headers={"Host": "evil.example"})

    assert (redirected.status_code, refused.status_code) == (400, 400)
    assert "location" not in redirected.headers
    assert refused.json()["error"]["code"] == "unknown_host"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_and_metrics_answer_at_the_pods_own_address(product: Product, path: str) -> None:
    """Kubernetes probes and Prometheus reach a pod by its IP; these answers build nothing from the Host header."""
    _, client = product

    answer = await client.get(path, headers={"Host": "10.1.2.3:8000"})

    assert answer.status_code == 200
    assert (await client.get(f"{path}/x", headers={"Host": "10.1.2.3:8000"})).status_code == 400


def _gateway_manifest(kind: str) -> Any:
    return next(d for d in yaml.safe_load_all(GATEWAY_MANIFEST.read_text()) if d and d["kind"] == kind)


def _kubelet_probes() -> list[tuple[str, dict[str, str]]]:
    """The gateway Deployment's probes as the kubelet sends them: the path, and the headers (the pod's address as
    Host unless the probe names one)."""
    (container,) = _gateway_manifest("Deployment")["spec"]["template"]["spec"]["containers"]
    probes = [container[kind]["httpGet"] for kind in ("readinessProbe", "livenessProbe")]
    return [(probe["path"], {"Host": "10.1.2.3:8000", "User-Agent": "kube-probe/1.34", "Accept": "*/*",
                             **{header["name"]: header["value"] for header in probe.get("httpHeaders", [])}})
            for probe in probes]


async def test_the_probes_answer_the_kubelet_as_the_manifest_calls_them() -> None:
    allowed_hosts = json.loads(_gateway_manifest("ConfigMap")["data"]["GATEWAY_ALLOWED_HOSTS"])
    settings = GatewaySettings(auth_mode="demo", allowed_hosts=allowed_hosts)
    probes = _kubelet_probes()
    async with running(settings) as (_, client):
        answers = {path: (await client.get(path, headers=headers)).status_code for path, headers in probes}

    assert answers == {"/readyz": 200, "/healthz": 200}


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000"])
async def test_the_local_names_are_allowed_by_default(product: Product, host: str) -> None:
    _, client = product

    assert (await client.get("/healthz", headers={"Host": host})).status_code == 200


async def test_the_allowed_names_come_from_the_settings() -> None:
    settings = GatewaySettings(auth_mode="demo", allowed_hosts=["helpdesk.example.com", "*.helpdesk.example.net"])
    async with running(settings) as (_, client):
        named = await client.get("/", headers={"Host": "helpdesk.example.com"})
        wildcard = await client.get("/", headers={"Host": "eu.helpdesk.example.net:443"})
        local = await client.get("/", headers={"Host": "127.0.0.1"})

    assert (named.status_code, wildcard.status_code, local.status_code) == (200, 200, 400)


# The metrics: inside the cluster only

@pytest.mark.parametrize("proxy", [{"X-Forwarded-For": "203.0.113.7"},
                                   {"Forwarded": "for=203.0.113.7;proto=https"},
                                   {"X-Forwarded-For": "203.0.113.7, 10.0.0.5", "Forwarded": "for=203.0.113.7"}])
async def test_metrics_asked_through_a_proxy_are_answered_as_an_unknown_address(
        product: Product, proxy: dict[str, str]) -> None:
    """The Ingress publishes every path of the gateway and adds X-Forwarded-For to each request: the metrics answer
    only a scrape that reaches the pod directly."""
    _, client = product
    public = {"Host": "localhost", **proxy}

    metrics = await client.get("/metrics", headers=public)
    unknown = await client.get("/no/such/page", headers=public)

    assert unknown.status_code == 404
    assert (metrics.status_code, metrics.json()) == (404, unknown.json())
    assert {name: metrics.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert (await client.get("/metrics", headers={"Host": "10.1.2.3:8000"})).status_code == 200
