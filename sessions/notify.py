"""Push events to the browsers watching an interview (group `interview.<session id>`).

The channel layer delivers at most once, so every event here is also readable by polling; a lost push only
delays the page. In the embedded mode the in-memory layer lives on the web process's event loop while tasks
run on the in-process pool, so the send is scheduled onto that loop instead of a new one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

_loop_lock = threading.Lock()
_web_loop: asyncio.AbstractEventLoop | None = None


def web_loop_register(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the consumer on connect: the loop that owns the in-memory layer's queues."""
    global _web_loop
    with _loop_lock:
        _web_loop = loop


def session_group(session_id: int) -> str:
    return f"interview.{session_id}"


def session_notify(*, session_id: int, event: dict[str, Any]) -> None:
    """Send `event` (a JSON-ready dict with a `type`) to every socket of the session. Never raises."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "session.event", "event": event}
    group = session_group(session_id)
    try:
        loop = _web_loop
        if isinstance(layer, InMemoryChannelLayer) and loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group, message))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(timeout=5)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 - a lost push is recovered by polling
        log.warning("could not notify session %s of %s", session_id, event.get("type"), exc_info=True)
