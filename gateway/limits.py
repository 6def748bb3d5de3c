"""Limits that keep one caller from hurting the others: per-agent rates, body size, path and query length."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime import metrics
from runtime.web import ApiError, HttpMiddleware, error_response


@dataclass
class RateLimit:
    """A token bucket per key: `burst` at once, refilled at `per_minute`; kept per replica. Its refusals are counted
    under its `name` (helpdesk_rate_limit_refusals_total)."""

    burst: int
    per_minute: int
    clock: Callable[[], float] = time.monotonic
    name: str = field(kw_only=True)
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        metrics.enforcing(self.name)  # its refusals shown at 0 from the start

    def take(self, key: str) -> None:
        """Spend one token of `key`, or raise 429 with the seconds until the next one."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_minute / 60.0)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = math.ceil((1.0 - tokens) * 60.0 / self.per_minute)
            metrics.rate_limit_refused(self.name)
            raise ApiError(429, "rate_limited", f"Too many requests. Please wait {wait} s and try again.",
                           headers={"Retry-After": str(wait)})
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:
            self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: they hold nothing a new bucket would not."""
        refill = self.burst * 60.0 / self.per_minute
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}


class RequestLimits(HttpMiddleware):
    """ASGI middleware: refuse a path over its length (414), a query string over its length (422) or a body over its
    size (413)."""

    def __init__(self, app: ASGIApp, max_body: int, max_query: int, large_bodies: dict[str, int], max_path: int
                 ) -> None:
        super().__init__(app)
        self.max_body, self.max_query, self.large_bodies, self.max_path = max_body, max_query, large_bodies, max_path

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Before anything reads the path: a path far longer than any id needs is a mistake or an attack, and one
        # over 64 KiB cannot even be passed on to a service.
        if len(scope.get("raw_path") or scope["path"].encode()) > self.max_path:
            await error_response(414, "uri_too_long", f"This address is too long (over {self.max_path} characters): "
                                 "check the link, or the id in it.")(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.max_query:
            await error_response(422, "query_too_long",
                                 f"The query string is longer than {self.max_query} characters.")(scope, receive, send)
            return
        limit = self.large_bodies.get(scope["path"], self.max_body)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(limit, scope, receive, send)
            return
        received, exceeded, refused = 0, False, False

        async def counted() -> Message:
            # A body sent without its length is counted as it arrives; whatever the app then answers, the
            # caller gets the 413.
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                exceeded = True
                raise _too_large(limit)
            return message

        async def answer(message: Message) -> None:
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused and message["type"] == "http.response.start":
                refused = True
                await self._refuse(limit, scope, receive, send)

        await self.app(scope, counted, answer)

    async def _refuse(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        error = _too_large(limit)
        await error_response(error.status, error.code, error.message)(scope, receive, send)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"The request body is larger than {limit} bytes.")
