"""Security headers Django's SecurityMiddleware does not set, and the WebSocket same-origin check."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host

# Everything the pages use is served from this origin (no CDN); the room needs the microphone and media blobs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; worker-src 'self' blob:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "microphone=(self), camera=(), geolocation=()")
        return response


class SameOriginWebSocketValidator:
    """ASGI middleware for WebSockets: accept only a browser page of this very site.

    Channels' `AllowedHostsOriginValidator` compares the Origin's host with ALLOWED_HOSTS and ignores scheme and
    port, so a page on another port of the same host (another app, a dev server) could open the interview socket
    with the user's cookie. Here the Origin must equal the socket's own origin (scheme, host and port, from the
    Host header, whose host must be allowed) or be listed in CSRF_TRUSTED_ORIGINS, as Django's CSRF check does.
    """

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> Any:
        if scope["type"] == "websocket" and not self.allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)

    @staticmethod
    def allowed(scope: dict[str, Any]) -> bool:
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin1").strip().lower()
        host = headers.get(b"host", b"").decode("latin1").strip().lower()
        if not origin or not host or origin == "null":
            return False
        own_scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        if not _host_allowed(host):
            return False
        own = _normalise(f"{own_scheme}://{host}")
        trusted = {_normalise(o.lower()) for o in settings.CSRF_TRUSTED_ORIGINS}
        return _normalise(origin) in ({own} | trusted) - {None}


def _host_allowed(host: str) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"])


def _normalise(origin: str) -> str | None:
    """scheme://host:port with the default port written out, or None for anything that is not an origin."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"
