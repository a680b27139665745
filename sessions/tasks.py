"""Celery tasks of the interview: the last steps of an answer's pipeline and the report. Thin: call a service."""

import time

from celery import shared_task

from sessions.pipeline import AnswerStepTask


@shared_task(base=AnswerStepTask, bind=True, name="sessions.tasks.answer_finalize", step="finalizing")
def answer_finalize(self: AnswerStepTask, answer_id: int) -> int:
    from sessions.scoring import answer_finalize as finalize

    finalize(answer_id=answer_id)
    return answer_id


@shared_task(bind=True, name="sessions.tasks.report_build", acks_late=True, max_retries=20)
def report_build(self, session_id: int) -> int:  # noqa: ANN001 - Celery's bound task
    from sessions.reporting import ReportNotReady, report_mark_failed
    from sessions.reporting import report_build as build

    try:
        build(session_id=session_id)
    except ReportNotReady as exc:
        # Answers still in the pipeline: wait for them (at most ~20 tries) instead of reporting half an interview.
        # Eager (embedded) retries ignore the countdown, so wait here instead.
        if self.request.is_eager:
            time.sleep(3)
        raise self.retry(exc=exc, countdown=3) from exc
    except Exception as exc:
        if self.request.retries >= 3:
            report_mark_failed(session_id=session_id, error=exc)
            raise
        raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc
    return session_id
