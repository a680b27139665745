"""Celery tasks of the interview: the last steps of an answer's pipeline and the report. Thin: call a service."""

import time

from celery import shared_task

from sessions.pipeline import AnswerStepTask


@shared_task(base=AnswerStepTask, bind=True, name="sessions.tasks.answer_finalize", step="finalizing")
def answer_finalize(self: AnswerStepTask, answer_id: int) -> int:
    from sessions.scoring import answer_finalize as finalize

    finalize(answer_id=answer_id)
    return answer_id


# Answers may take minutes in the pipeline under load (long audio, a busy ml queue): wait with growing pauses for
# up to ~15 minutes, the age after which the report leaves a stuck answer out anyway.
REPORT_WAIT_RETRIES = 50  # pauses of 3 s growing to 30 s: about 14 minutes in all


@shared_task(bind=True, name="sessions.tasks.report_build", acks_late=True, max_retries=REPORT_WAIT_RETRIES)
def report_build(self, session_id: int) -> int:  # noqa: ANN001 - Celery's bound task
    from sessions.reporting import ReportNotReady, report_mark_failed
    from sessions.reporting import report_build as build

    try:
        build(session_id=session_id)
    except ReportNotReady as exc:
        # Answers still in the pipeline: wait for them instead of reporting half an interview.
        # Eager (embedded) retries ignore the countdown, so wait here instead.
        countdown = min(30, 3 * (1 + self.request.retries // 5))
        if self.request.retries >= REPORT_WAIT_RETRIES:
            report_mark_failed(session_id=session_id, error="Some answers are still being processed; "
                                                            "open the report again in a few minutes.")
            raise
        if self.request.is_eager:
            time.sleep(countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception as exc:
        if self.request.retries >= 3:
            report_mark_failed(session_id=session_id, error=exc)
            raise
        raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc
    return session_id
