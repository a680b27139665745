"""Enqueue Celery tasks the same way in both run modes.

Distributed: `apply_async` to the broker, after the surrounding transaction commits. Each step of an answer's
chain is routed to its own queue (interviewprep/celery.py), so a scoring step never waits behind the other
answers' transcriptions.
Embedded: Celery runs eagerly (no broker), but an eager task would run inside the caller, which may be the
event loop or the shared sync thread. So the eager call happens on a small dedicated pool instead; the caller
never waits. The pool takes the highest priority first: a chain runs one step at a time and each later step is
queued with a higher priority than the one before, so an answer that has been transcribed is scored before the
next answer's transcription starts (a burst of 20 ending answers gets its first scores in seconds, not after the
whole burst is transcribed). Tasks stay idempotent either way, so a retry or a duplicate is harmless.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from celery.canvas import Signature, _chain
from django.conf import settings
from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)

_pool_lock = threading.Lock()
_pending: set[Future[Any]] = set()


class PriorityPool:
    """Worker threads that run the queued call with the highest priority first, in submission order among equals.

    Started lazily (no thread until the first task). At interpreter exit the workers finish what is queued,
    including the later steps those calls queue, so an answer is not left half-processed by a clean shutdown.
    `fifo=True` ignores priorities (the old order; kept for the same-run baseline of bench/burst.py).
    """

    def __init__(self, *, workers: int, initializer: Callable[[], None] | None = None, fifo: bool = False,
                 name: str = "tasks") -> None:
        self._workers = max(1, workers)
        self._initializer = initializer
        self._fifo = fifo
        self._name = name
        self._heap: list[tuple[int, int, Future[Any], Callable[..., Any], tuple[Any, ...]]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._running = 0
        self._closing = False
        threading._register_atexit(self.shutdown)  # type: ignore[attr-defined] - as concurrent.futures does

    def submit(self, fn: Callable[..., Any], *args: Any, priority: int = 0) -> Future[Any]:
        future: Future[Any] = Future()
        with self._cond:
            heapq.heappush(self._heap, (0 if self._fifo else -priority, next(self._seq), future, fn, args))
            if self._idle == 0 and len(self._threads) < self._workers:
                thread = threading.Thread(target=self._work, name=f"{self._name}_{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
            self._cond.notify()
        return future

    def depth(self) -> dict[str, int]:
        """Queued (not started) and running calls: the embedded mode's queue depth for /healthz."""
        with self._cond:
            return {"queued": len(self._heap), "running": self._running}

    def _work(self) -> None:
        if self._initializer is not None:
            self._initializer()
        while True:
            with self._cond:
                self._idle += 1
                while not self._heap and not self._closing:
                    self._cond.wait()
                self._idle -= 1
                if not self._heap:
                    return
                _, _, future, fn, args = heapq.heappop(self._heap)
                self._running += 1
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args))
                    except BaseException as exc:  # noqa: BLE001 - handed to the future, as an executor does
                        future.set_exception(exc)
            finally:
                with self._cond:
                    self._running -= 1

    def shutdown(self, wait: bool = True) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()


_pool: PriorityPool | None = None


def thread_priority_lower(*, nice: int) -> None:
    """Give the calling thread this nice value (Linux: per thread, inherited by the threads it starts)."""
    import os

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        log.debug("could not lower a thread's priority", exc_info=True)


def _lower_priority() -> None:
    """Run background scoring at a lower CPU priority than the event loop that serves live audio.

    On Linux the nice value is per thread and inherited by threads started from it, so the model libraries'
    own worker threads (CTranslate2, torch) created by a task run niced too. Live metrics then keep their
    latency while a burst of finished answers is transcribed and scored in the same process.
    """
    thread_priority_lower(nice=settings.EMBEDDED_TASK_NICE)


def _embedded_pool() -> PriorityPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = PriorityPool(workers=settings.EMBEDDED_TASK_WORKERS, initializer=_lower_priority,
                                 fifo=settings.EMBEDDED_TASK_ORDER == "fifo")
        return _pool


# The broker queues (interviewprep/celery.py routes tasks to them).
QUEUES = ("ml", "score", "default")


def queue_depths() -> dict[str, dict[str, int]]:
    """Tasks waiting per queue: the in-process pool's (embedded: queued and running) or the broker's (distributed:
    messages not yet taken by a worker, per queue). A blocking call in distributed mode: run it off the loop."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pool = _pool
        return {"embedded": pool.depth() if pool is not None else {"queued": 0, "running": 0}}
    # The project's Celery app (interviewprep/celery.py sets itself as the current app): named here without an
    # import so that pipeline/ depends on no project package.
    from celery import current_app as app

    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        client = conn.default_channel.client
        return {queue: {"queued": int(client.llen(queue))} for queue in QUEUES}


def _run_eager(signature: Signature, priority: int) -> None:
    """Run one task; for a chain, run its first step and queue the rest one priority higher."""
    close_old_connections()
    try:
        if isinstance(signature, _chain) and settings.EMBEDDED_TASK_ORDER != "fifo":
            first, rest = signature.tasks[0], list(signature.tasks[1:])
            result = first.apply()
            if result.failed():  # the step's on_failure recorded it; the chain stops, as Celery's does
                log.error("task %s failed: %r", first, result.result)
            elif rest:
                _submit_now(rest[0] if len(rest) == 1 else _chain(*rest), priority + 1)
            return
        result = signature.apply()
        if result.failed():
            log.error("task %s failed: %r", signature, result.result)
    except Exception:  # noqa: BLE001 - an in-process task must never take the pool down
        log.exception("task %s raised", signature)
    finally:
        close_old_connections()


def _submit_now(signature: Signature, priority: int) -> None:
    future = _embedded_pool().submit(_run_eager, signature, priority, priority=priority)
    _pending.add(future)
    future.add_done_callback(_pending.discard)


def _submit(signature: Signature, countdown: float = 0, priority: int = 0) -> None:
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        signature.apply_async(countdown=countdown or None)
    elif countdown > 0:
        _submit_later(signature, countdown, priority)
    else:
        _submit_now(signature, priority)


def _submit_later(signature: Signature, countdown: float, priority: int) -> None:
    """Embedded countdown: a timer submits the task later, so no task thread is held while it waits.

    The timer's own future stays pending until the task it submits is done, so `embedded_wait` waits for both.
    """
    waiting: Future[Any] = Future()
    _pending.add(waiting)
    waiting.add_done_callback(_pending.discard)

    def fire() -> None:
        try:
            future = _embedded_pool().submit(_run_eager, signature, priority, priority=priority)
        except RuntimeError as exc:  # the pool was shut down (process exit): nothing left to run it
            waiting.set_exception(exc)
            return
        _pending.add(future)
        future.add_done_callback(_pending.discard)
        future.add_done_callback(lambda _f: waiting.set_result(None))

    timer = threading.Timer(countdown, fire)
    timer.daemon = True
    timer.start()


def task_enqueue(signature: Signature, *, countdown: float = 0, priority: int = 0) -> None:
    """Queue a task signature (or a chain) once the current transaction commits (at once outside one).

    Pass immutable signatures (`task.si(answer_id)`): tasks take ids, never raw audio or model objects.
    `countdown` delays the start by that many seconds in both run modes (a broker ETA, or an in-process timer).
    `priority` orders the embedded pool (higher first; a chain's later steps get one more per step); the
    distributed mode orders by queue instead (interviewprep/celery.py).
    """
    transaction.on_commit(lambda: _submit(signature, countdown, priority))


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
