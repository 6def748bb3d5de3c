"""Calls to one service's internal HTTP API: correlation id and trace context forwarded, outages answered with
503."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from runtime import tracing
from runtime.logs import correlation_id
from runtime.web import CORRELATION_HEADER, ApiError

Found = TypeVar("Found")


class ServiceClient:
    def __init__(self, name: str, http: httpx.AsyncClient) -> None:
        self.name = name
        self.http = http

    async def get(self, path: str, **params: Any) -> Any:
        return await self._call("GET", path, params=_given(params))

    async def post(self, path: str, body: Any) -> Any:
        return await self._call("POST", path, json=body)

    async def put(self, path: str, body: Any) -> Any:
        return await self._call("PUT", path, json=body)

    async def delete(self, path: str, **params: Any) -> Any:
        return await self._call("DELETE", path, params=_given(params))

    async def post_stream(self, path: str, body: AsyncIterator[bytes], content_type: str) -> Any:
        return await self._call("POST", path, content=body, headers={"content-type": content_type},
                                timeout=None)

    async def _call(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
                    ) -> Any:
        headers = tracing.outgoing_headers({**(headers or {}), CORRELATION_HEADER: correlation_id.get()})
        try:
            request = self.http.build_request(method, path, headers=headers, **kwargs)
        except (httpx.InvalidURL, ValueError) as error:
            # What the caller sent cannot be put into a request to the service (an id too long for an address,
            # text that cannot be encoded): their input is at fault, not the service.
            raise ApiError(422, "invalid_input", "This request cannot be looked up as it is: check the ids and text "
                           "it contains.") from error
        try:
            response = await self.http.send(request)
        except httpx.HTTPError as error:
            raise ApiError(503, "service_unavailable",
                           f"The {self.name} service is not reachable right now. Please try again shortly.",
                           headers={"Retry-After": "5"}) from error
        if response.status_code >= 500:
            raise ApiError(503, "service_unavailable",
                           f"The {self.name} service cannot answer right now. Please try again shortly.",
                           headers={"Retry-After": "5"})
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError as error:
            raise ApiError(503, "service_unavailable", f"The {self.name} service gave an unreadable answer.",
                           headers={"Retry-After": "5"}) from error
        if response.status_code >= 400:
            # The service's refusal is the caller's: its code, message, further fields and when to try again.
            detail = dict(body.get("error", {})) if isinstance(body, dict) else {}
            code, message = detail.pop("code", "error"), detail.pop("message", "Request failed.")
            retry = {"Retry-After": response.headers["Retry-After"]} if "Retry-After" in response.headers else {}
            raise ApiError(response.status_code, code, message, headers=retry, **detail)
        return body

    async def close(self) -> None:
        await self.http.aclose()


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
