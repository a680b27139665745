"""`/healthz`: database, channel layer and broker status, for load balancers and the smoke test."""

from __future__ import annotations

import asyncio
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse


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
    return JsonResponse({"status": "ok" if ok else "degraded", "mode": settings.RUN_MODE, "checks": checks},
                        status=200 if ok else 503)
