"""Celery tasks of the mastery app. Thin: parse ids, call one service. Both are idempotent, so retries are safe."""

from __future__ import annotations

from celery import shared_task

from pipeline.steps import AnswerStepTask


@shared_task(base=AnswerStepTask, bind=True, name="mastery.tasks.mastery_apply_answer", step="mastery", max_retries=5)
def mastery_apply_answer(self: AnswerStepTask, answer_id: int) -> int:
    """A step of an answer's pipeline (pipeline/chain.py): update mastery from the scored answer.

    Like every step it ends the answer `failed` with a reason once its retries run out, instead of stopping the
    chain with the answer still `processing`."""
    from mastery.services import mastery_apply_answer as apply

    apply(answer_id=int(answer_id))
    return int(answer_id)


@shared_task(bind=True, name="mastery.tasks.study_plan_generate", acks_late=True, autoretry_for=(Exception,),
             retry_backoff=2, retry_backoff_max=60, retry_jitter=True, max_retries=5)
def study_plan_generate(self, user_id: int, session_id: int | None = None) -> int | None:  # noqa: ANN001
    """Rewrite the user's study plan when an interview finishes (the same session twice writes one plan)."""
    from accounts.models import User
    from mastery.services import study_plan_generate as generate
    from pipeline.records import session_model

    InterviewSession = session_model()

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    session = InterviewSession.objects.filter(pk=session_id, owner=user).first() if session_id else None
    return generate(user=user, source_session=session).pk
