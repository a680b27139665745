"""Celery tasks of the interview: the last steps of an answer's pipeline and the report. Thin: call a service."""

from celery import shared_task

from pipeline.steps import AnswerStepTask


@shared_task(base=AnswerStepTask, bind=True, name="sessions.tasks.answer_finalize", step="finalizing")
def answer_finalize(self: AnswerStepTask, answer_id: int) -> int:
    from sessions.scoring import answer_finalize as finalize

    finalize(answer_id=answer_id)
    return answer_id


# Answers may take minutes in the pipeline under load (long audio, a busy ml queue): wait with growing pauses for
# up to ~15 minutes, the age after which the report leaves a stuck answer out anyway.
REPORT_WAIT_RETRIES = 50  # pauses of 3 s growing to 30 s: about 14 minutes in all


@shared_task(bind=True, name="sessions.tasks.report_build", acks_late=True, max_retries=3)
def report_build(self, session_id: int, wait: int = 0) -> int | None:  # noqa: ANN001 - Celery's bound task
    """Build the report; while answers are still in the pipeline, queue itself again with a countdown.

    Re-queueing (never sleeping, never a Celery retry) frees the worker thread during the wait: in embedded mode
    two task threads serve every answer and report, and a report sleeping in one would starve the answers it
    waits for. `wait` counts the waits so far; past REPORT_WAIT_RETRIES the report is marked failed with a reason.
    """
    from pipeline.chain import report_build_enqueue
    from sessions.reporting import ReportNotReady, report_mark_failed
    from sessions.reporting import report_build as build

    try:
        build(session_id=session_id)
    except ReportNotReady:
        if wait >= REPORT_WAIT_RETRIES:
            report_mark_failed(session_id=session_id, error="Some answers are still being processed; "
                                                            "open the report again in a few minutes.")
            raise
        report_build_enqueue(session_id=session_id, wait=wait + 1, countdown=min(30, 3 * (1 + wait // 5)))
        return None
    except Exception as exc:
        if self.request.retries >= 3:
            report_mark_failed(session_id=session_id, error=exc)
            raise
        raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc
    return session_id
