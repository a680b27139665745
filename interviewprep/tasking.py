"""Enqueue Celery tasks the same way in both run modes.

Distributed: `apply_async` to the broker, after the surrounding transaction commits.
Embedded: Celery runs eagerly (no broker), but an eager task would run inside the caller, which may be the
event loop or the shared sync thread. So the eager call happens on a small dedicated pool instead; the caller
never waits. Tasks stay idempotent either way, so a retry or a duplicate is harmless.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from celery.canvas import Signature
from django.conf import settings
from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pending: set[Future[Any]] = set()


def _lower_priority() -> None:
    """Run background scoring at a lower CPU priority than the event loop that serves live audio.

    On Linux the nice value is per thread and inherited by threads started from it, so the model libraries'
    own worker threads (CTranslate2, torch) created by a task run niced too. Live metrics then keep their
    latency while a burst of finished answers is transcribed and scored in the same process.
    """
    import os

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), settings.EMBEDDED_TASK_NICE)
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        log.debug("could not lower the task threads' priority", exc_info=True)


def _embedded_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.EMBEDDED_TASK_WORKERS, thread_name_prefix="tasks",
                                       initializer=_lower_priority)
        return _pool


def _run_eager(signature: Signature) -> None:
    close_old_connections()
    try:
        result = signature.apply()
        if result.failed():
            log.error("task %s failed: %r", signature, result.result)
    except Exception:  # noqa: BLE001 - an in-process task must never take the pool down
        log.exception("task %s raised", signature)
    finally:
        close_old_connections()


def _submit(signature: Signature, countdown: float = 0) -> None:
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        signature.apply_async(countdown=countdown or None)
    elif countdown > 0:
        _submit_later(signature, countdown)
    else:
        future = _embedded_pool().submit(_run_eager, signature)
        _pending.add(future)
        future.add_done_callback(_pending.discard)


def _submit_later(signature: Signature, countdown: float) -> None:
    """Embedded countdown: a timer submits the task later, so no task thread is held while it waits.

    The timer's own future stays pending until the task it submits is done, so `embedded_wait` waits for both.
    """
    waiting: Future[Any] = Future()
    _pending.add(waiting)
    waiting.add_done_callback(_pending.discard)

    def fire() -> None:
        try:
            future = _embedded_pool().submit(_run_eager, signature)
        except RuntimeError as exc:  # the pool was shut down (process exit): nothing left to run it
            waiting.set_exception(exc)
            return
        future.add_done_callback(lambda _f: waiting.set_result(None))

    timer = threading.Timer(countdown, fire)
    timer.daemon = True
    timer.start()


def task_enqueue(signature: Signature, *, countdown: float = 0) -> None:
    """Queue a task signature (or a chain) once the current transaction commits (at once outside one).

    Pass immutable signatures (`task.si(answer_id)`): tasks take ids, never raw audio or model objects.
    `countdown` delays the start by that many seconds in both run modes (a broker ETA, or an in-process timer).
    """
    if countdown > 0:
        transaction.on_commit(lambda: _submit(signature, countdown))
    else:
        transaction.on_commit(lambda: _submit(signature))


def embedded_wait(timeout: float = 60.0) -> bool:
    """Wait for in-process tasks (embedded mode) to finish, including tasks they queue. For tests and shutdown."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = [f for f in list(_pending) if not f.done()]
        if not pending:
            return True
        for future in pending:
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - logged by the task itself
                pass
    return not any(not f.done() for f in list(_pending))
