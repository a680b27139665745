"""Fixed-window rate limits on forms (login, signup, uploads, interview creation), kept in the cache.

The cache is per process in the embedded mode and Redis in the distributed one, so limits hold across daphne
processes there. Rates look like "10/m" (per second, minute, hour or day).
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

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, unit = rate.partition("/")
    return int(count), _UNITS[unit[:1].lower()]


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "unknown")


def rate_limit_exceeded(*, scope: str, key: str) -> bool:
    """Count one hit for (scope, key); True when the scope's rate is exceeded in the current window."""
    if not settings.RATE_LIMITS_ENABLED:
        return False
    limit, window = parse_rate(settings.RATE_LIMITS[scope])
    bucket = int(time.time() // window)
    cache_key = f"rl:{scope}:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 1):
        return False
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 1)
        return False


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[..., Any]:
    """View decorator: limit the given methods per client IP (and per user when signed in)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                who = f"u{request.user.pk}" if request.user.is_authenticated else client_ip(request)
                if rate_limit_exceeded(scope=scope, key=who):
                    body = render_to_string("429.html", {"scope": scope}, request=request)
                    response = HttpResponse(body, status=429)
                    response["Retry-After"] = str(parse_rate(settings.RATE_LIMITS[scope])[1])
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
