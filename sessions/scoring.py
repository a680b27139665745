"""The end of an answer's pipeline: mark it scored, decide what comes next, tell the page."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sessions.models import Answer, AnswerStatus, InterviewSession, Report, ReportStatus, SessionStatus
from sessions.notify import session_notify


def answer_scored_event(*, answer: Answer, next_step: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "answer.scored",
        "answer_id": answer.pk,
        "question_id": answer.question_id,
        "status": answer.status,
        "content_score": answer.content_score,
        "delivery_score": answer.delivery_score,
        "structure_score": answer.structure_score,
        "feedback_url": reverse("interviews:answer", args=[answer.pk]),
        "next": next_step,
    }


def answer_finalize(*, answer_id: int) -> Answer:
    """Idempotent: a second run neither inserts a second follow-up nor changes the scores."""
    from rag.followups import followup_decide
    from sessions.services import interview_difficulty_adapt, question_insert_after

    with transaction.atomic():
        answer = (Answer.objects.select_for_update(of=("self",))
                  .select_related("question", "question__session")).get(pk=answer_id)
        first_time = answer.scored_at is None
        decision = followup_decide(answer=answer)
        if first_time and decision.question_fields and answer.question.session.is_open:
            question_insert_after(after=answer.question, fields=decision.question_fields)
        if first_time:
            interview_difficulty_adapt(answer=answer)
        answer.status = AnswerStatus.SCORED
        answer.progress = ""
        answer.error = ""
        answer.scored_at = answer.scored_at or timezone.now()
        answer.save(update_fields=["status", "progress", "error", "scored_at"])
    session_notify(session_id=answer.question.session_id,
                   event=answer_scored_event(answer=answer, next_step=decision.as_dict()))
    _report_refresh(answer.question.session)
    return answer


def _report_refresh(session: InterviewSession) -> None:
    """An answer scored after its interview's report was built (a retry once the interview is over) rebuilds the
    report, so the report never shows figures that history, progress and the API no longer show. A report still
    pending or building waits for the answer by itself."""
    if session.status != SessionStatus.COMPLETED:
        return
    if Report.objects.filter(session=session, status=ReportStatus.READY).exists():
        from pipeline.chain import report_build_enqueue

        transaction.on_commit(lambda: report_build_enqueue(session_id=session.pk))
