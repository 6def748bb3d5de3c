"""The embedded mode's channel to a service: its ASGI app called in this process, as a server calls it.

The request is the one an HTTP client would send (the same path, query string, headers and body) and runs through
the service's whole app: its middleware, routes, validation and refusals. What it leaves out is only the HTTP
between the two: no client, no connection pool, no parsing of an HTTP message on either side. An error the app
lets out is raised here, as it would be in a service of one's own process.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.types import ASGIApp, Message

from gateway.clients.base import Content, Reply, Unsendable


class InProcess:
    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.host = name.encode()

    async def exchange(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str],
                       content: Content, *, streamed: bool = False) -> Reply:
        try:
            # Text the service could not be sent over HTTP is not sent in process either (a lone surrogate).
            raw_path = path.encode("ascii")
            query = str(httpx.QueryParams(params)).encode("ascii") if params else b""
            sent = [(b"host", self.host)]
            sent += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        except UnicodeEncodeError as error:
            raise Unsendable from error
        if isinstance(content, bytes):
            sent.append((b"content-length", str(len(content)).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": unquote(path), "raw_path": raw_path, "query_string": query, "root_path": "", "headers": sent,
            "client": ("127.0.0.1", 0), "server": (self.host.decode(), 80),
        }
        exchange = _Exchange(content)
        await self.app(scope, exchange.receive, exchange.send)
        return Reply(exchange.status, exchange.retry_after, b"".join(exchange.body))

    async def close(self) -> None:
        return None


class _Exchange:
    """One request's body handed to the app, and the app's answer gathered."""

    __slots__ = ("answered", "body", "chunks", "content", "done", "retry_after", "sent_all", "status")

    def __init__(self, content: Content) -> None:
        self.content = content
        self.chunks = None if content is None or isinstance(content, bytes) else content.__aiter__()
        self.sent_all = False
        self.answered = False
        self.done: asyncio.Event | None = None  # made only if the app listens past the body for a disconnect
        self.status = 500  # what an app that answers nothing has answered
        self.retry_after: str | None = None
        self.body: list[bytes] = []

    async def receive(self) -> Message:
        if self.sent_all:
            # Asked again after the whole body: the caller is there until the answer is complete.
            if not self.answered:
                if self.done is None:
                    self.done = asyncio.Event()
                await self.done.wait()
            return {"type": "http.disconnect"}
        if self.chunks is None:
            self.sent_all = True
            return {"type": "http.request", "body": self.content or b"", "more_body": False}
        try:
            chunk = await self.chunks.__anext__()
        except StopAsyncIteration:
            self.sent_all = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", ()):
                if name.lower() == b"retry-after":
                    self.retry_after = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            self.body.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.answered = True
                if self.done is not None:
                    self.done.set()
