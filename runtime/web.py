"""HTTP basics every process shares: one error shape, correlation ids, unexpected errors, health and readiness,
metrics."""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from pymongo.errors import PyMongoError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime import heap, metrics, tracing
from runtime.logs import correlation_id
from runtime.versioned import Busy

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
Check = Callable[[], Awaitable[bool]]

_STATUS_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 410: "gone", 413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
    422: "invalid_input", 423: "locked", 429: "rate_limited", 503: "service_unavailable",
}


class ApiError(Exception):
    """An error a caller can understand: answered as {"error": {"code", "message"}} with its status."""

    def __init__(self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None,
                 **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})
        self.details = details


@dataclass(frozen=True)
class Refusal:
    """How a service answers one of its domain errors: a status, a code, and a message for a person (a sentence,
    or a function of the error when the error knows what to say)."""

    status: int
    code: str
    message: str | Callable[[Exception], str] = str
    # What else the answer says, from the error: more fields of the error body, and headers (Retry-After).
    details: Callable[[Exception], Mapping[str, Any]] | None = None
    headers: Callable[[Exception], Mapping[str, str]] | None = None

    def answer(self, error: Exception) -> JSONResponse:
        message = self.message if isinstance(self.message, str) else self.message(error)
        details = self.details(error) if self.details else {}
        return error_response(self.status, self.code, message, self.headers(error) if self.headers else None,
                              **details)


Refusals = Mapping[type[Exception], Refusal]
"""A service's table of its domain errors and their answers, registered once in its app.py: routes raise, the
table answers."""


def install_refusals(app: FastAPI, refusals: Refusals) -> None:
    for kind, refusal in refusals.items():
        async def on_refused(request: Request, error: Exception, refusal: Refusal = refusal) -> JSONResponse:
            return refusal.answer(error)

        app.add_exception_handler(kind, on_refused)


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None,
                   **details: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **details}}, status, headers=headers)


def _where(location: Sequence[int | str]) -> str:
    """Where in the request a problem is, as a person reads it: `status of item 2` for a list body's second entry."""
    names = ".".join(p for p in location if isinstance(p, str) and p not in ("body", "query", "path"))
    items = [f"item {p + 1}" for p in reversed(location) if isinstance(p, int)]
    return " of ".join(part for part in (names, *items) if part)


# A value of the wrong shape, by pydantic's error type, in words a person reads.
_SHAPES = {"model_attributes_type": "must be a JSON object", "model_type": "must be a JSON object",
           "dict_type": "must be a JSON object", "list_type": "must be a JSON list"}


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        location = tuple(item.get("loc", ()))
        if item.get("type") == "json_invalid":  # its location is a character of the body, not an item of a list
            return f"The request body is not valid JSON: look near character {int(location[-1]) + 1}."
        where, kind = _where(location), str(item.get("type"))
        message = str(item.get("msg")).removeprefix("Value error, ")
        if location == ("body",) and kind == "missing":
            message = "a JSON body is required"
        elif kind in _SHAPES:
            message = f"the body {_SHAPES[kind]}" if location == ("body",) else _SHAPES[kind]
        parts.append(f"{where}: {message}" if where else message)
    return "The request is not valid: " + "; ".join(parts)


_NOT_JSON = "The request body must be JSON, sent with the header Content-Type: application/json."
# What FastAPI says of a body it could not decode at all (not UTF-8, nested too deep, a number too long).
_UNREADABLE_BODY = "There was an error parsing the body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.headers, **error.details)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        if isinstance(error.body, bytes):  # a body FastAPI did not read as JSON, for its content type
            return error_response(415, "unsupported_media_type", _NOT_JSON)
        return error_response(422, "invalid_input", _validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(error.status_code, "error")
        message = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
        if error.status_code == 404 and message == "Not Found":
            message = "Nothing was found at this address."
        if error.status_code == 400 and message == _UNREADABLE_BODY:
            message = "The request body could not be read as JSON: send UTF-8 text, nested no deeper than it needs."
        return error_response(error.status_code, code, message, getattr(error, "headers", None))

    @app.exception_handler(Busy)
    async def on_busy(request: Request, error: Busy) -> JSONResponse:
        return error_response(409, "conflict", "Someone else is changing this right now. Please try again.")

    @app.exception_handler(PyMongoError)
    async def on_store_down(request: Request, error: PyMongoError) -> JSONResponse:
        log.error("storage unavailable", extra={"error": repr(error)})
        return error_response(503, "service_unavailable",
                              "The data store is not reachable right now. Please try again shortly.",
                              {"Retry-After": "5"})

    @app.exception_handler(ClientDisconnect)
    async def on_client_gone(request: Request, error: ClientDisconnect) -> JSONResponse:
        # The caller closed the connection while sending its body: nobody reads this answer, and nothing failed here.
        log.info("client disconnected before sending the whole request", extra={"path": request.url.path})
        return error_response(400, "incomplete_request", "The request ended before all of it arrived.")


class HttpMiddleware:
    """Base of a plain ASGI middleware that acts on HTTP requests (`http`) and passes anything else, such as the
    lifespan, through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class UnexpectedErrors(HttpMiddleware):
    """ASGI middleware: an error that no handler answers is logged once, with the request's correlation id, and
    answered 503 in the one error shape. Starlette's handler for `Exception` runs outside every middleware, after
    the correlation id is gone, and raises the error again for the server, which logs the same traceback twice."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unexpected error", extra={"method": scope["method"], "path": scope["path"]})
            # Once an answer has begun nothing can replace it; the server closes the connection on the half-answer.
            if not started:
                await error_response(503, "service_unavailable",
                                     "Something went wrong on our side. Please try again shortly.",
                                     {"Retry-After": "5"})(scope, receive, send)


_PLAIN_ID = re.compile(r"[!-~]+")


class CorrelationIds(HttpMiddleware):
    """ASGI middleware: the request's correlation id (its header's, or a new one) and its trace span are in scope
    for everything the request does, and the correlation id comes back on the response. Plain ASGI rather than
    `@app.middleware("http")`: that one runs every request in a task group of its own and streams bodies through
    it, which costs an import of a 100 MB body noticeably and leaves reference cycles behind for the collector."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        given = headers.get(CORRELATION_HEADER, "")[:128]
        # Passed on in headers to the services and written in logs: anything but plain visible ASCII is replaced.
        value = given if _PLAIN_ID.fullmatch(given) else str(uuid.uuid4())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[CORRELATION_HEADER] = value
            await send(message)

        token = correlation_id.set(value)
        try:
            # The request's span continues the caller's trace (W3C traceparent), or starts one.
            with heap.serving(), tracing.serving(scope["method"], headers.get(tracing.HEADER, "")[:128]):
                await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)


def install_correlation(app: FastAPI) -> None:
    app.add_middleware(UnexpectedErrors)  # inside CorrelationIds: its log line and answer carry the correlation id
    app.add_middleware(CorrelationIds)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics(HttpMiddleware):
    """ASGI middleware: every answer counted by method, route template and status, and timed. The route is the
    template of the route or mount the router matched, read from the scope once the answer is sent (`/static` for
    any file under it, never the file's name); a path no route matched counts as "unmatched", and a method outside
    the usual ones as "other", so a caller cannot make new series. Outside the middlewares that create_app installs,
    so the 503 answering an unexpected error is counted; a gateway's own refusals at its edge (unknown Host,
    oversized requests), added outside it, are not."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        # Each series' counter and histogram, looked up once: this runs on every request.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        # The template of each endpoint, by its id, that is not one of FastAPI's own routes (a mount, /openapi.json,
        # /docs): endpoints live as long as the app, and some apps cannot be hashed.
        self._templates: dict[int, str] = {}

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500  # what the server answers when an error escapes before any answer began

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        began = time.perf_counter()
        try:
            await self.app(scope, receive, watched)
        finally:
            self._count(scope, status, time.perf_counter() - began)

    def _count(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "other"
        key = (method, self._template(scope), status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (metrics.HTTP_REQUESTS.labels(method, key[1], str(status)),
                                          metrics.HTTP_REQUEST_DURATION.labels(method, key[1]))
        series[0].inc()
        series[1].observe(seconds)

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")  # FastAPI's routes name themselves in the scope
        if route is not None:
            return str(route.path)
        # Starlette's routes and mounts leave only their endpoint (a mount's: the app mounted there).
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return "unmatched"
        template = self._templates.get(id(endpoint))
        if template is None:
            template = self._templates[id(endpoint)] = _template_of(endpoint, scope.get("router"))
        return template


def _template_of(endpoint: object, router: object) -> str:
    """The path template of the router's route or mount that answers with this endpoint."""
    for route in getattr(router, "routes", ()):
        if endpoint is getattr(route, "endpoint", None) or endpoint is getattr(route, "app", None):
            return str(route.path)
    return "unmatched"


def health_router(checks: Mapping[str, Check]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive.")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The process can serve: its store and bus are reachable.")
    async def readyz() -> JSONResponse:
        results = {}
        for name, check in checks.items():
            try:
                results[name] = await check()
            except Exception:
                results[name] = False
        ready = all(results.values())
        return JSONResponse({"status": "ready" if ready else "not_ready", "checks": results},
                            200 if ready else 503)

    # For the monitoring system, not the API's callers: outside the OpenAPI document. Its labels name routes, topics
    # and groups only; on the gateway, still, only the cluster's network should reach it (docs/operations.md).
    @router.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app(title: str, checks: Mapping[str, Check], refusals: Refusals | None = None, **kwargs: Any) -> FastAPI:
    """A service's HTTP app: the one error shape (with the service's own `refusals`), correlation ids, probes,
    metrics."""
    # A slash redirect's Location is built from the request's Host header: never answer with one.
    kwargs = {"redirect_slashes": False, "redoc_url": None, **kwargs}
    app = FastAPI(title=title, **kwargs)
    install_error_handlers(app)
    install_refusals(app, refusals or {})
    install_correlation(app)
    app.add_middleware(HttpMetrics)
    app.include_router(health_router(checks))
    return app


def run_around(app: FastAPI, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> None:
    """Start and stop the process's background work with the HTTP server."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    app.router.lifespan_context = lifespan
