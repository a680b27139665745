"""Celery tasks of the knowledge app. Thin: each calls one service. Routing (interviewprep/celery.py): content
scoring and resume processing load MiniLM, so they go to the `ml` queue; feedback goes to `default`."""

from __future__ import annotations

from celery import Task, shared_task

from pipeline.steps import AnswerStepTask


@shared_task(base=AnswerStepTask, bind=True, name="rag.tasks.answer_score_content", step="scoring")
def answer_score_content(self: AnswerStepTask, answer_id: int, force: bool = False) -> int:
    from rag.services import answer_score_content as score

    score(answer_id=answer_id, force=force)
    return answer_id


@shared_task(base=AnswerStepTask, bind=True, name="rag.tasks.answer_feedback", step="feedback")
def answer_feedback(self: AnswerStepTask, answer_id: int, force: bool = False) -> int:
    from rag.feedback.services import answer_feedback_generate

    answer_feedback_generate(answer_id=answer_id, force=force)
    return answer_id


class ResumeTask(Task):
    abstract = True
    autoretry_for = (Exception,)
    retry_backoff = 2
    retry_backoff_max = 60
    max_retries = 2
    acks_late = True

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:  # noqa: ANN001 - Celery's signature
        if args:
            from rag.services import resume_mark_failed

            resume_mark_failed(resume_id=int(args[0]), error=exc)


@shared_task(base=ResumeTask, bind=True, name="rag.tasks.process_resume")
def process_resume(self: ResumeTask, resume_id: int, force: bool = False) -> int:
    from rag.services import resume_process

    resume_process(resume_id=resume_id, force=force)
    return resume_id


@shared_task(bind=True, name="rag.tasks.index_bank_rebuild", acks_late=True, max_retries=2)
def index_bank_rebuild(self: Task, force: bool = False) -> bool:  # noqa: ARG001 - bound for retries
    from rag.services import bank_index_refresh

    return bank_index_refresh(force=force)
