"""The one rate-limit mechanism: fixed windows counted in the Django cache, shared by pages, API and admin login.

The cache is per process in the embedded mode and Redis in the distributed one, so limits hold across daphne
processes there. Rates look like "10/m" (per second, minute, hour or day). A limit is a scope (settings.RATE_LIMITS)
counted per client: the user when signed in, the IP otherwise. The page decorator (`rate_limited`) and the DRF
throttles below count in the very same cache key, so a client that alternates between the login page, the token
API and /admin/login/ gets one budget, not one per door.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from rest_framework.throttling import BaseThrottle

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, unit = rate.partition("/")
    return int(count), _UNITS[unit[:1].lower()]


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "unknown")


def client_key(request: Any) -> str:
    """Who is counted: the user when signed in, else the IP. Works for Django and DRF requests alike."""
    user = getattr(request, "user", None)
    return f"u{user.pk}" if user is not None and user.is_authenticated else f"ip{client_ip(request)}"


def _cache_key(scope: str, key: str) -> str:
    return f"rl:{scope}:{key}"


def rate_limit_exceeded(*, scope: str, key: str) -> bool:
    """Count one hit for (scope, key); True when the scope's rate is exceeded in the current window.

    The window opens at the client's first hit (not at a clock boundary): with clock-aligned windows a client could
    send the whole budget just before a minute ends and again just after it, twice the rate.
    """
    if not settings.RATE_LIMITS_ENABLED or scope not in settings.RATE_LIMITS:
        return False
    limit, window = parse_rate(settings.RATE_LIMITS[scope])
    cache_key = _cache_key(scope, key)
    if cache.add(cache_key, 1, timeout=window):
        cache.set(f"{cache_key}:t", time.time(), timeout=window)
        return limit < 1
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # the window closed between add and incr: this hit opens the next one
        cache.add(cache_key, 1, timeout=window)
        cache.set(f"{cache_key}:t", time.time(), timeout=window)
        return limit < 1


def retry_after(scope: str, key: str) -> int:
    """Seconds until the client's current window closes (at least 1)."""
    _, window = parse_rate(settings.RATE_LIMITS[scope])
    opened = cache.get(f"{_cache_key(scope, key)}:t")
    return max(1, int(window - (time.time() - opened))) if opened is not None else window


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[..., Any]:
    """View decorator: limit the given methods per client (see `client_key`); 429 page with Retry-After."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            key = client_key(request)
            if request.method in methods and rate_limit_exceeded(scope=scope, key=key):
                body = render_to_string("429.html", {"scope": scope}, request=request)
                response = HttpResponse(body, status=429)
                response["Retry-After"] = str(retry_after(scope, key))
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class _ScopeThrottle(BaseThrottle):
    """A DRF throttle over `rate_limit_exceeded`: DRF answers 429 with Retry-After from `wait()`."""

    scope: str | None = None
    key: str = ""

    def scope_for(self, request: Any, view: Any) -> str | None:
        return self.scope

    def allow_request(self, request: Any, view: Any) -> bool:
        self.scope = self.scope_for(request, view)
        if self.scope is None:
            return True
        self.key = client_key(request)
        return not rate_limit_exceeded(scope=self.scope, key=self.key)

    def wait(self) -> float | None:
        return float(retry_after(self.scope, self.key)) if self.scope in settings.RATE_LIMITS else None


class FormRateThrottle(_ScopeThrottle):
    """The pages' per-form limit on the matching API endpoint, in the same counter as the page. Views name the
    form in `throttle_scope` and add this throttle for their POST."""

    def scope_for(self, request: Any, view: Any) -> str | None:
        return getattr(view, "throttle_scope", None)


class ApiRateThrottle(_ScopeThrottle):
    """The API's overall rate: `api_anon` per IP, `api_user` per user (the default throttle of every endpoint)."""

    def scope_for(self, request: Any, view: Any) -> str | None:
        user = getattr(request, "user", None)
        return "api_user" if user is not None and user.is_authenticated else "api_anon"
