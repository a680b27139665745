"""The path of one answer after `answer.end`, as a Celery chain of idempotent tasks:

    transcribe (ml) -> content score (ml) -> feedback -> mastery -> finalize (status, follow-up, push)

Mastery comes before finalize so that an answer marked `scored` has updated mastery too: the report waits for
scored answers and then rewrites the study plan, which must see every answer of the interview.

Each task reads the answer by id, does its step unless already done (or `force`), and saves. A step that fails
after its retries marks the answer failed and tells the page; the candidate can retry it.
"""

from __future__ import annotations

from celery import Task, chain

from interviewprep.tasking import task_enqueue


def answer_pipeline_enqueue(*, answer_id: int, force: bool = False) -> None:
    from audio.tasks import answer_transcribe
    from mastery.tasks import mastery_apply_answer
    from rag.tasks import answer_feedback, answer_score_content
    from sessions.tasks import answer_finalize

    task_enqueue(chain(
        answer_transcribe.si(answer_id, force),
        answer_score_content.si(answer_id, force),
        answer_feedback.si(answer_id, force),
        mastery_apply_answer.si(answer_id),
        answer_finalize.si(answer_id),
    ))


def report_build_enqueue(*, session_id: int) -> None:
    from sessions.tasks import report_build

    task_enqueue(report_build.si(session_id))


class AnswerStepTask(Task):
    """Base of the pipeline's tasks: retried with backoff, late-acked; the final failure marks the answer."""

    abstract = True
    autoretry_for = (Exception,)
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 3
    acks_late = True
    step = "processing"

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:  # noqa: ANN001 - Celery's signature
        if args:
            answer_step_failed(answer_id=int(args[0]), step=self.step, error=exc)


def answer_step_failed(*, answer_id: int, step: str, error: BaseException) -> None:
    """The last retry of a pipeline step failed: record it on the answer and tell the page."""
    from sessions.models import Answer, AnswerStatus
    from sessions.notify import session_notify

    message = f"{step} failed: {type(error).__name__}: {error}"[:300]
    updated = Answer.objects.filter(pk=answer_id).exclude(status=AnswerStatus.SCORED).update(
        status=AnswerStatus.FAILED, error=message, progress="")
    answer = Answer.objects.filter(pk=answer_id).select_related("question").first()
    if updated and answer is not None:
        session_notify(session_id=answer.question.session_id, event={
            "type": "answer.scored", "answer_id": answer_id, "question_id": answer.question_id,
            "status": "failed", "error": message,
        })
