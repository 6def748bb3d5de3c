"""Requests no well-behaved client sends, to every route that reads a JSON body (found in the OpenAPI document, so a
route added later is covered the day it is added), to the import, the search's query string and the id routes:
whatever arrives, the answer is a 4xx in the one error shape with a message a help desk agent can act on, never a
5xx, never an error in the logs."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.config import GatewaySettings
from tests.hostile.tally import Tally
from tests.product import Product, login, running

pytestmark = pytest.mark.e2e

AGENT, ADVANCED, PARTNER_ADMIN = "agent@northwind.example", "advanced@northwind.example", "admin@northwind.example"
CUSTOMER_ADMIN, OPERATOR = "it@acme.example", "operator@helpdesk.local"
CALLERS = {"/api/v1/partner/": PARTNER_ADMIN, "/api/v1/operator/": OPERATOR, "/api/v1/customer/": CUSTOMER_ADMIN,
           "/api/v1/admin/": ADVANCED, "/access-requests": ADVANCED, "/api/v1/auth/": AGENT}
# The caller's own objects, so that the body is the only thing wrong with a request (a partner admin's are their
# staff).
OWN_IDS = {"org_id": "o-acme", "user_id": "u-jane", "code_id": "c-unknown"}
STAFF_IDS = {**OWN_IDS, "user_id": "u-agent"}
BODY_LIMIT = 64 * 1024
IMPORT_LIMIT = 10_000
# Words a message must not be made of: what a library says, not what an agent can act on.
NOT_FOR_PEOPLE = ("Traceback", "JSON decode error", "There was an error parsing", "valid dictionary or object",
                  "pydantic")


@dataclass(frozen=True)
class Hostile:
    """A body, how it is sent, and what the answer must be: a status (None: any 4xx, or a 2xx for a body the route
    may take) and words the message must hold."""

    name: str
    body: bytes
    content_type: str | None = "application/json"
    status: int | None = None
    says: str = ""


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


SENT_WRONG = [
    Hostile("not JSON", b"{not json", status=422, says="not valid JSON"),
    Hostile("cut short", b'{"code": "12', status=422, says="not valid JSON"),
    Hostile("trailing garbage", b'{"code": "1"} x', status=422, says="not valid JSON"),
    Hostile("single quotes", b"{'code': '1'}", status=422, says="not valid JSON"),
    Hostile("not UTF-8", b'{"code": "\xff\xfe"}', status=400, says="could not be read as JSON"),
    Hostile("nested 20,000 deep", _nested(20_000), status=400, says="could not be read as JSON"),
    Hostile("a number of 5,000 digits", b'{"code": 1' + b"0" * 5_000 + b"}", status=400,
            says="could not be read as JSON"),
    Hostile("plain text", b"code=123456", "text/plain", 415, "must be JSON"),
    Hostile("a form", b"code=123456&reason=x", "application/x-www-form-urlencoded", 415, "must be JSON"),
    Hostile("multipart", b"--b\r\nContent-Disposition: form-data; name=code\r\n\r\n1\r\n--b--\r\n",
            "multipart/form-data; boundary=b", 415, "must be JSON"),
    Hostile("XML", b"<code>1</code>", "application/xml", 415, "must be JSON"),
    Hostile("JSON without a content type", b'{"code": "1"}', None, 415, "Content-Type: application/json"),
    Hostile("over the body limit", json.dumps({"reason": "x" * BODY_LIMIT}).encode(), status=413,
            says=f"larger than {BODY_LIMIT} bytes"),
    Hostile("nested 30,000 deep, over the limit", _nested(40_000), status=413, says="larger than"),
]
# JSON of another shape than the route reads: refused, unless the body is optional and says nothing.
WRONG_SHAPES = [Hostile("a list", b"[1, 2, 3]"), Hostile("a string", b'"hello"'), Hostile("a number", b"42"),
                Hostile("true", b"true"), Hostile("null", b"null"), Hostile("no body", b"")]
CONTROL_CHARACTERS = "\x00\x07\x1b[31m\u202e\ufeff\U0001f600\u0301"


def _fields(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The properties of a route's JSON body, as the document declares them."""
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    schema = next((s for s in schema.get("anyOf", [schema]) if "$ref" in s or "properties" in s), schema)
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") == "array":
        item = schema["items"]
        schema = document["components"]["schemas"][item["$ref"].rsplit("/", 1)[1]] if "$ref" in item else item
    properties: dict[str, dict[str, Any]] = schema.get("properties", {})
    return properties


def _values_of_the_wrong_kind(route: Route) -> Iterator[Hostile]:
    """Each property given what it cannot be, a string of 60,000 characters, control characters, deep nesting."""
    def body(name: str, value: bytes) -> bytes:
        one = b'{"' + name.encode() + b'": ' + value + b"}"
        return b"[" + one + b"]" if route.a_list else one

    for name in route.fields:
        yield Hostile(f"{name}: an object", body(name, b'{"$ne": null}'), status=422, says=name)
        yield Hostile(f"{name}: a list of lists", body(name, b"[[1, [2]]]"), status=422, says=name)
        yield Hostile(f"{name}: 60,000 characters", body(name, json.dumps("9" * 60_000).encode()))
        yield Hostile(f"{name}: control characters", body(name, json.dumps(CONTROL_CHARACTERS).encode()))
        yield Hostile(f"{name}: nested 500 deep", body(name, _nested(500)))


@dataclass
class Route:
    method: str
    path: str
    caller: str
    required: bool
    fields: dict[str, dict[str, Any]]
    a_list: bool  # of objects with these fields


@pytest.fixture
async def product() -> AsyncIterator[Product]:
    async with running(GatewaySettings(auth_mode="demo", max_import_bytes=IMPORT_LIMIT)) as started:
        yield started


@pytest.fixture
async def routes(product: Product) -> list[Route]:
    _, client = product
    document = (await client.get("/openapi.json")).json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "application/json" not in operation.get("requestBody", {}).get("content", {}):
                continue
            caller = next((email for part, email in CALLERS.items() if part in path), AGENT)
            ids = STAFF_IDS if path.startswith("/api/v1/partner/") else OWN_IDS
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            found.append(Route(method.upper(), path.format(**ids), caller, operation["requestBody"].get("required",
                               False), _fields(document, operation), schema.get("type") == "array"))
    return found


async def _headers(client: httpx.AsyncClient, route: Route) -> dict[str, str]:
    """The caller's sign-in, and for a route that changes a customer's users an admin session on Acme."""
    headers = await login(client, route.caller)
    if route.path.startswith("/api/v1/admin/"):
        admin = await login(client, CUSTOMER_ADMIN)
        asked = await client.post("/api/v1/customers/o-acme/access-requests", json={"reason": "Ticket 4711"},
                                  headers=headers)
        await client.post(f"/api/v1/customer/access-requests/{asked.json()['request_id']}/approve", headers=admin)
        opened = await client.post("/api/v1/customers/o-acme/admin-sessions", headers=headers)
        headers["X-Admin-Session"] = opened.json()["token"]
    return headers


def _refused_for_people(answer: httpx.Response, hostile: Hostile, where: str) -> None:
    assert answer.status_code < 500, (where, answer.text)
    if hostile.status is not None:
        assert answer.status_code == hostile.status, (where, answer.text)
    if answer.status_code < 400:
        return
    error = answer.json()["error"]
    assert set(error) >= {"code", "message"}, where
    assert len(error["message"]) > 20, (where, error)
    assert hostile.says in error["message"], (where, error)
    assert not [words for words in NOT_FOR_PEOPLE if words in error["message"]], (where, error)


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_a_body_sent_wrong_is_refused_with_what_to_fix(
        product: Product, routes: list[Route], caplog: pytest.LogCaptureFixture, tally: Tally) -> None:
    _, client = product
    assert len(routes) >= 8

    for route in routes:
        headers = await _headers(client, route)
        for hostile in SENT_WRONG:
            sent = {**headers, **({"Content-Type": hostile.content_type} if hostile.content_type else {})}
            answer = await client.request(route.method, route.path, content=hostile.body, headers=sent)
            tally.add(route.path)
            _refused_for_people(answer, hostile, f"{route.method} {route.path}: {hostile.name}")

    _no_errors_logged(caplog)


async def test_json_of_the_wrong_shape_is_refused_unless_the_body_is_optional_and_says_nothing(
        product: Product, routes: list[Route], caplog: pytest.LogCaptureFixture, tally: Tally) -> None:
    _, client = product

    for route in routes:
        headers = await _headers(client, route)
        for hostile in WRONG_SHAPES:
            optional_and_empty = not route.required and hostile.body in (b"", b"null")
            answer = await client.request(route.method, route.path, content=hostile.body,
                                          headers={**headers, "Content-Type": "application/json"})
            tally.add(route.path)
            if optional_and_empty:
                assert answer.status_code < 300, (route.path, hostile.name, answer.text)
                continue
            must = Hostile(hostile.name, hostile.body, status=422, says="a JSON body is required"
                           if hostile.body == b"" else "must be a JSON")
            _refused_for_people(answer, must, f"{route.method} {route.path}: {hostile.name}")

    _no_errors_logged(caplog)


async def test_a_field_of_the_wrong_kind_or_size_is_refused_naming_it_or_taken_never_a_server_error(
        product: Product, routes: list[Route], caplog: pytest.LogCaptureFixture, tally: Tally) -> None:
    _, client = product

    for route in routes:
        headers = await _headers(client, route)
        for hostile in _values_of_the_wrong_kind(route):
            answer = await client.request(route.method, route.path, content=hostile.body,
                                          headers={**headers, "Content-Type": "application/json"})
            tally.add(route.path)
            _refused_for_people(answer, hostile, f"{route.method} {route.path}: {hostile.name}")

    _no_errors_logged(caplog)
    assert tally.total >= 5 * len(routes)


# The import: a body over its limit, a line over its own, bytes that are no lines at all

def _users(count: int) -> bytes:
    return b"".join(json.dumps({"type": "user", "id": f"u-big-{n}", "org_id": "o-acme", "first_name": "Big",
                                "last_name": str(n), "email": f"big{n}@acme.example"}).encode() + b"\n"
                    for n in range(count))


async def test_an_import_over_its_limit_is_refused_whether_its_length_is_declared_or_not(
        product: Product, caplog: pytest.LogCaptureFixture, tally: Tally) -> None:
    _, client = product
    headers = {**await login(client, OPERATOR), "Content-Type": "application/x-ndjson"}
    body = _users(200)
    assert len(body) > IMPORT_LIMIT

    async def streamed() -> AsyncIterator[bytes]:  # sent in chunks, without a Content-Length
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    declared = await client.post("/api/v1/operator/import", content=body, headers=headers)
    undeclared = await client.post("/api/v1/operator/import", content=streamed(), headers=headers)
    within = await client.post("/api/v1/operator/import", content=_users(3), headers=headers)
    tally.add("imports", 3)

    for answer in (declared, undeclared):
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"] == {"code": "payload_too_large",
                                          "message": f"The request body is larger than {IMPORT_LIMIT} bytes."}
    assert (within.status_code, within.json()["accepted"]) == (200, 3)
    _no_errors_logged(caplog)


async def test_import_lines_that_are_no_records_are_each_rejected_with_a_reason(
        product: Product, caplog: pytest.LogCaptureFixture, tally: Tally) -> None:
    _, client = product
    headers = {**await login(client, OPERATOR), "Content-Type": "application/x-ndjson"}
    lines = [b"\xff\xfe\x00garbage", b"[1, 2]", b'{"type": "user"}', b'{"type": "user", "id": {"$ne": 1}}',
             b'"just a string"', _nested(2_000), b'{"type": "robot", "id": "r1"}', b"\x00" * 100]

    answer = await client.post("/api/v1/operator/import", content=b"\n".join(lines) + b"\n", headers=headers)
    tally.add("import lines", len(lines))

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["accepted"], report["rejected_total"]) == (0, len(lines))
    assert [r["line"] for r in report["rejected"]] == list(range(1, len(lines) + 1))
    assert all(len(r["error"]) > 10 and "Traceback" not in r["error"] for r in report["rejected"])
    _no_errors_logged(caplog)


# The search's query string and the ids in addresses

QUERY_STRINGS = [b"q=%00", b"q=%ff%fe", b"q=\xff\xfe", b"q=%", b"q=%zz", b"q=a&q=b", b"q=" + b"a" * 256,
                 b"q=" + b"a-" * 128, b"q=" + b"1" * 256, b"q=" + b"%E2%80%AE" * 28, b"q=jane&org_id=%00",
                 b"q=jane&org_id=" + b"o" * 256, b"q=jane&limit=abc", b"q=jane&limit=-1", b"q=jane&limit=1e9",
                 b"q=jane&limit=101", b"q=", b"q=" + b"a" * 257, b"limit=5", b"q=jane&" + b"x=1&" * 600]


async def _search_as_sent(product: Product, query: bytes, headers: dict[str, str]) -> httpx.Response:
    """A search with the query string's bytes as a server receives them: httpx would encode them first."""
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/v1/search", "raw_path": b"/api/v1/search", "query_string": query, "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in headers.items())],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    await product[0].app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return httpx.Response(start["status"], content=b"".join(m.get("body", b"") for m in sent[1:]))


async def test_any_query_string_is_answered_or_refused_with_a_reason(
        product: Product, caplog: pytest.LogCaptureFixture, tally: Tally) -> None:
    _, client = product
    headers = await login(client, AGENT)

    for query in QUERY_STRINGS:
        answer = await _search_as_sent(product, query, headers)
        tally.add("query strings")
        _refused_for_people(answer, Hostile(query.decode("latin-1"), b""), query.decode("latin-1")[:40])

    _no_errors_logged(caplog)


ODD_IDS = ["%00", "%ff", "%2e%2e", "U-JANE", "u-jane%20", "%20u-jane", "u-jane%00", "u-ja%CC%81ne",
           "%E2%80%AEenaj-u", "u-jane;drop", "u-jane%22", "*", "%7B%22%24ne%22%3A1%7D", "u-hank", "o-globex"]


@pytest.mark.parametrize("route", ["/api/v1/users/{}", "/api/v1/users/{}/email", "/api/v1/customers/{}",
                                   "/api/v1/devices/{}", "/api/v1/orders/{}"])
async def test_an_odd_id_in_an_address_answers_exactly_like_an_unknown_one(
        product: Product, route: str, tally: Tally) -> None:
    _, client = product
    headers = await login(client, AGENT)
    unknown = await client.get(route.format("nobody-at-all"), headers=headers)

    for odd in ODD_IDS:
        answer = await client.get(route.format(odd), headers=headers)
        tally.add(route)
        assert (answer.status_code, answer.json()) == (404, unknown.json()), (route, odd)
