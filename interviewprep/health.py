"""`/healthz`: database, channel layer and broker status, for load balancers and the smoke test; and the load of
this process for operators (live streams, live captions and their lag, task queue depths), also shown on the
staff-only status page `/healthz/status`.

The load sections come from the apps that own them (`audio` registers its streams in its AppConfig.ready): this
core module imports no app.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from pipeline.tasking import queue_depths

log = logging.getLogger(__name__)

LoadSection = Callable[[], dict[str, Any]]
_load_sections: dict[str, LoadSection] = {}


def health_load_register(name: str, section: LoadSection) -> None:
    """Add a section to the load report: a cheap, non-blocking function of this process's state."""
    _load_sections[name] = section


async def process_load() -> dict[str, Any]:
    """This process's load: every registered section, and the task queues' depth (null when unreachable)."""
    load: dict[str, Any] = {}
    for name, section in _load_sections.items():
        try:
            load[name] = section()
        except Exception:  # noqa: BLE001 - a report never raises
            log.exception("load section %s failed", name)
            load[name] = None
    try:
        load["queues"] = await asyncio.wait_for(sync_to_async(queue_depths, thread_sensitive=False)(), timeout=3)
    except Exception:  # noqa: BLE001 - a broker that is down is reported by the checks
        load["queues"] = None
    return load


def _check_database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "engine": connection.vendor}


async def _check_channel_layer() -> dict[str, object]:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2.0)
    return {"ok": message.get("token") == token, "backend": type(layer).__name__}


def _check_broker() -> dict[str, object]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "backend": "in-process"}
    from interviewprep.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True, "backend": "redis"}


async def _timed(name: str, coro: object) -> tuple[str, dict[str, object]]:
    started = time.perf_counter()
    try:
        result = await coro  # type: ignore[misc]
    except Exception as exc:  # noqa: BLE001 - a health check reports failures, it never raises
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return name, result


async def healthz(request: HttpRequest) -> JsonResponse:
    checks = dict(
        await asyncio.gather(
            _timed("database", sync_to_async(_check_database, thread_sensitive=True)()),
            _timed("channel_layer", _check_channel_layer()),
            _timed("broker", sync_to_async(_check_broker, thread_sensitive=False)()),
        )
    )
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "mode": settings.RUN_MODE, "checks": checks,
                         "load": await process_load()}, status=200 if ok else 503)


async def status_page(request: HttpRequest) -> HttpResponse:
    """Staff only: the same load as `/healthz`, readable, refreshing itself. Per process: behind a load balancer
    each reload may show another daphne process (its pid is shown)."""
    user = await request.auser()
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.is_staff:
        return HttpResponse("Staff only.", status=403)
    return TemplateResponse(request, "ops/status.html", {"mode": settings.RUN_MODE, "load": await process_load()})
