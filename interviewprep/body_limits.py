"""Request body limits that apply before anything parses (or even buffers) the body.

Django's own limits (DATA_UPLOAD_MAX_MEMORY_SIZE) act while parsing, after the server has taken the whole body:
daphne writes it to a temporary file and then queues all of it, in memory, for the application, before the CSRF
or login check runs. So an anonymous 150 MB post to the login page cost the process that serves live audio over a
gigabyte. Two layers stop that:

- `install_daphne_cap()`: daphne's request object counts body bytes as they arrive (Content-Length first, then
  every chunk, so chunked bodies too) and answers 413 and closes the connection past the largest route cap, before
  anything is queued. Memory per request is then bounded by that cap.
- `BodyLimitMiddleware` (ASGI, around the whole Django app, so before sessions, CSRF and authentication): the cap of
  the route the request resolves to. A view that takes uploads says so with `@accepts_upload` (or an
  `accepts_upload = True` class attribute) and gets `upload_body_cap()`; everything else gets
  settings.REQUEST_MAX_BYTES. Past the cap the app gets a
  disconnect instead of more body, and the client a 413 with a message.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

ASGIApp = Callable[..., Awaitable[None]]


def accepts_upload(view: Any) -> Any:
    """Mark a view function as an upload route: bodies up to `upload_body_cap()` instead of REQUEST_MAX_BYTES."""
    view.accepts_upload = True
    return view


def upload_body_cap() -> int:
    """The largest body an upload route takes: the file limit plus room for the multipart framing and fields."""
    return settings.UPLOAD_MAX_BYTES + 64 * 1024


def body_cap_for(path: str) -> int:
    try:
        match = resolve(path)
    except Resolver404:
        return settings.REQUEST_MAX_BYTES
    view = match.func
    owners = (view, getattr(view, "view_class", None), getattr(view, "cls", None))
    if any(getattr(owner, "accepts_upload", False) is True for owner in owners):
        return upload_body_cap()
    return settings.REQUEST_MAX_BYTES


def hard_cap() -> int:
    """What the server itself accepts at most: the largest route cap."""
    return max(settings.REQUEST_MAX_BYTES, upload_body_cap())


def too_large_message(cap: int) -> str:
    size = f"{cap / (1024 * 1024):.1f} MB" if cap >= 1024 * 1024 else f"{cap // 1024} KB"
    return f"The request body is larger than this address accepts ({size})."


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = body_cap_for(scope.get("path", "/"))
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _send_413(send, cap)
            return
        received = 0
        over = False
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    # Django's body reader takes a disconnect as an aborted request and answers nothing.
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, tracked_send)
        if over and not started:
            await _send_413(send, cap)


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers") or []:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(send: Callable[..., Any], cap: int) -> None:
    body = json.dumps({"detail": too_large_message(cap), "code": "too_large"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def install_daphne_cap() -> None:
    """Make daphne refuse bodies past `hard_cap()` while they arrive (see the module docstring)."""
    from daphne import http_protocol

    if getattr(http_protocol.WebRequest, "body_capped", False):
        return

    class CappedWebRequest(http_protocol.WebRequest):
        body_capped = True
        _body_bytes = 0
        _refused = False

        def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's name
            self._cap = hard_cap()
            if length is not None and length > self._cap:
                self.content = io.BytesIO()  # Twisted closes it with the connection
                self._refuse()
                return
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
            if self._refused:
                return
            self._body_bytes += len(data)
            if self._body_bytes > self._cap:
                self._refuse()
                return
            super().handleContentChunk(data)

        def _refuse(self) -> None:
            # Before the request is complete Twisted has no response object to write through: answer on the
            # transport and close it, so the rest of the body is never read.
            self._refused = True
            body = json.dumps({"detail": too_large_message(self._cap), "code": "too_large"}).encode()
            head = (b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n")
            transport = self.channel.transport
            if transport is not None:
                transport.write(head + body)
                transport.loseConnection()

        def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
            if not self._refused:
                super().requestReceived(command, path, version)

    http_protocol.WebRequest = CappedWebRequest
