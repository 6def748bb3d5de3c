"""Calls to one service's internal API: correlation id and trace context forwarded, outages answered with 503.

A client reaches its service through a channel: over HTTP to another process (`OverHttp`), or, in the embedded
mode, by calling the service's own ASGI app in this process (`gateway.clients.in_process`). Either way the request
goes through the service's middleware, routes, validation and refusals, and its answer is read here the same way.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
import orjson

from runtime import tracing
from runtime.logs import correlation_id
from runtime.web import CORRELATION_HEADER, ApiError

log = logging.getLogger(__name__)

Found = TypeVar("Found")
Content = bytes | AsyncIterator[bytes] | None
# Reads: sent again once when the connection failed under them. Not a PUT or a DELETE: the service may have done it
# before the connection failed, and a second one would answer otherwise (a suppression removed twice: 404).
READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class Reply:
    """What a service answered: its status, its Retry-After header if any, and its body."""

    status: int
    retry_after: str | None
    body: bytes


class Unsendable(Exception):
    """What the caller sent cannot be put into a request to the service (an id too long for an address, text that
    cannot be encoded)."""


class Unreachable(Exception):
    """The service could not be asked, or gave no answer."""


class Channel(Protocol):
    async def exchange(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str],
                       content: Content, *, streamed: bool = False) -> Reply:
        """The service's answer to one request; Unsendable or Unreachable when there is none. `streamed`: the
        content is a long upload, which no timeout cuts short."""
        ...

    async def close(self) -> None: ...


class OverHttp:
    """A service in another process, over one pooled keep-alive HTTP/1.1 client (`helpdesk.distributed`).

    A pooled connection can be closed by the service (its idle timeout) just as a request is sent on it: the request
    fails, most likely unread. A read is then sent once more, on a fresh connection; one that timed out is not (the
    service may be working on it), nor anything that changes something, nor an upload.
    """

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def exchange(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str],
                       content: Content, *, streamed: bool = False) -> Reply:
        try:
            request = self.http.build_request(method, path, params=params, headers=headers, content=content,
                                              timeout=None if streamed else httpx.USE_CLIENT_DEFAULT)
        except (httpx.InvalidURL, ValueError) as error:
            raise Unsendable from error
        again = method in READS and not streamed
        while True:
            try:
                response = await self.http.send(request)
            except httpx.TimeoutException as error:
                raise Unreachable from error
            except httpx.TransportError as error:
                if not again:
                    raise Unreachable from error
                again = False
                log.info("connection to a service failed, asking again",
                         extra={"to_service": str(self.http.base_url), "method": method, "error": repr(error)})
                continue
            except httpx.HTTPError as error:
                raise Unreachable from error
            return Reply(response.status_code, response.headers.get("Retry-After"), response.content)

    async def close(self) -> None:
        await self.http.aclose()


class ServiceClient:
    def __init__(self, name: str, channel: httpx.AsyncClient | Channel) -> None:
        self.name = name
        self.channel: Channel = OverHttp(channel) if isinstance(channel, httpx.AsyncClient) else channel

    async def get(self, path: str, **params: Any) -> Any:
        return await self._call("GET", path, params=_given(params))

    async def post(self, path: str, body: Any) -> Any:
        return await self._call("POST", path, json=body)

    async def put(self, path: str, body: Any) -> Any:
        return await self._call("PUT", path, json=body)

    async def delete(self, path: str, **params: Any) -> Any:
        return await self._call("DELETE", path, params=_given(params))

    async def post_stream(self, path: str, body: AsyncIterator[bytes], content_type: str) -> Any:
        return await self._call("POST", path, content=body, content_type=content_type)

    async def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                    content: AsyncIterator[bytes] | None = None, content_type: str | None = None) -> Any:
        headers = tracing.outgoing_headers({CORRELATION_HEADER: correlation_id.get()})
        body: Content = content
        if json is not None:
            body, content_type = orjson.dumps(json), "application/json"
        if content_type is not None:
            headers["content-type"] = content_type
        try:
            reply = await self.channel.exchange(method, path, params or {}, headers, body,
                                                streamed=content is not None)
        except Unsendable as error:
            # The caller's input is at fault, not the service.
            raise ApiError(422, "invalid_input", "This request cannot be looked up as it is: check the ids and text "
                           "it contains.") from error
        except Unreachable as error:
            # Said once here, so that an operator finds why agents were answered 503 (not the path: it holds ids).
            log.warning("service unreachable", extra={"to_service": self.name, "method": method,
                                                      "error": repr(error.__cause__ or error)})
            raise ApiError(503, "service_unavailable",
                           f"The {self.name} service is not reachable right now. Please try again shortly.",
                           headers={"Retry-After": "5"}) from error
        if reply.status >= 500:
            log.warning("service failed", extra={"to_service": self.name, "method": method, "status": reply.status})
            raise ApiError(503, "service_unavailable",
                           f"The {self.name} service cannot answer right now. Please try again shortly.",
                           headers={"Retry-After": "5"})
        if reply.status == 204:
            return None
        try:
            answer = orjson.loads(reply.body)
        except orjson.JSONDecodeError as error:
            log.warning("service failed", extra={"to_service": self.name, "method": method, "status": reply.status,
                                                 "error": "unreadable answer"})
            raise ApiError(503, "service_unavailable", f"The {self.name} service gave an unreadable answer.",
                           headers={"Retry-After": "5"}) from error
        if reply.status >= 400:
            # The service's refusal is the caller's: its code, message, further fields and when to try again.
            detail = dict(answer.get("error", {})) if isinstance(answer, dict) else {}
            code, message = detail.pop("code", "error"), detail.pop("message", "Request failed.")
            retry = {"Retry-After": reply.retry_after} if reply.retry_after is not None else {}
            raise ApiError(reply.status, code, message, headers=retry, **detail)
        return answer

    async def close(self) -> None:
        await self.channel.close()


def segment(entity_id: str) -> str:
    """An id as one segment of an internal path: a slash or a question mark in it stays part of the id."""
    return quote(entity_id, safe="")


async def found_or(refusal: ApiError, answer: Awaitable[Found]) -> Found:
    """The service's answer, or `refusal` where it found nothing (404): what the gateway's caller is told."""
    try:
        return await answer
    except ApiError as error:
        if error.status != 404:
            raise
        raise refusal from None


def _given(params: dict[str, Any]) -> dict[str, Any]:
    """Query parameters without the ones left out (None)."""
    return {k: v for k, v in params.items() if v is not None}
