"""The base class of every task of an answer's pipeline, and the hook that records a step that gave up.

Each step is idempotent (it reads the answer by id and skips work already done unless forced), so Celery may retry
it with backoff and acknowledge it late. When the last retry fails, `on_failure` hands a `StepFailure` to the
handler the app that owns answers registered (`sessions` does, in its AppConfig.ready): this package cannot import
that app, and an answer whose step gave up must end `failed` with a reason instead of staying `processing`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from celery import Task

from pipeline.payloads import StepFailure

log = logging.getLogger(__name__)

FailureHandler = Callable[[StepFailure], None]

_handler_lock = threading.Lock()
_failure_handler: FailureHandler | None = None


def step_failure_handler_register(handler: FailureHandler) -> None:
    """Set the one function that records a failed step (registering it again replaces it)."""
    global _failure_handler
    with _handler_lock:
        _failure_handler = handler


def step_failure_report(failure: StepFailure) -> None:
    """Record a step that gave up; with no handler registered the failure is logged, never silently dropped."""
    handler = _failure_handler
    if handler is None:
        log.error("answer %s: %s (no failure handler registered)", failure.answer_id, failure.reason)
        return
    handler(failure)


class AnswerStepTask(Task):
    """A pipeline step: retried with backoff, late-acked; the final failure marks the answer failed.

    Every step's first argument is the answer id. `step` names the step in the reason the candidate reads.
    """

    abstract = True
    autoretry_for = (Exception,)
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 3
    acks_late = True
    step = "processing"

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:  # noqa: ANN001 - Celery's signature
        answer_id = args[0] if args else kwargs.get("answer_id")
        if answer_id is not None:
            step_failure_report(StepFailure.from_exception(answer_id=int(answer_id), step=self.step, exc=exc))
