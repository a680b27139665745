"""Reads for the interview pages, the API and the consumer. Ownership is part of every query."""

from __future__ import annotations

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from sessions.models import Answer, AnswerStatus, InterviewSession, QuestionStatus, SessionQuestion


def session_for_owner(*, user: User, session_id: int) -> InterviewSession:
    """The session if `user` owns it; 404 otherwise (another user's id reveals nothing)."""
    session = InterviewSession.objects.filter(pk=session_id, owner=user).first()
    if session is None:
        raise Http404("No such interview.")
    return session


def question_for_owner(*, user: User, session_id: int, question_id: int) -> SessionQuestion:
    question = (SessionQuestion.objects.select_related("session")
                .filter(pk=question_id, session_id=session_id, session__owner=user).first())
    if question is None:
        raise Http404("No such question.")
    return question


def answer_for_owner(*, user: User, answer_id: int) -> Answer:
    answer = (Answer.objects.select_related("question", "question__session", "question__topic",
                                            "question__subtopic")
              .filter(pk=answer_id, user=user).first())
    if answer is None:
        raise Http404("No such answer.")
    return answer


def sessions_for_user(*, user: User) -> QuerySet[InterviewSession]:
    return (InterviewSession.objects.filter(owner=user)
            .annotate(answered=Count("questions__answers", filter=Q(questions__answers__status=AnswerStatus.SCORED),
                                     distinct=True),
                      avg_content=Avg("questions__answers__content_score"))
            .select_related("report").prefetch_related("topics").order_by("-created_at"))


def session_questions_with_answers(*, session: InterviewSession) -> list[SessionQuestion]:
    return list(session.questions.select_related("topic", "subtopic", "parent")
                .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("attempt")))
                .order_by("position"))


def answer_attempts(*, answer: Answer) -> list[Answer]:
    return list(Answer.objects.filter(question=answer.question).order_by("attempt"))


def answer_status(*, answer: Answer) -> dict[str, object]:
    """What the page polls for (the channel layer's push may be lost)."""
    from django.urls import reverse

    return {
        "answer_id": answer.pk,
        "question_id": answer.question_id,
        "status": answer.status,
        "progress": answer.progress,
        "error": answer.error,
        "content_score": answer.content_score,
        "delivery_score": answer.delivery_score,
        "structure_score": answer.structure_score,
        "feedback_engine": answer.feedback_engine,
        "feedback_url": reverse("interviews:answer", args=[answer.pk]),
    }


def room_state(*, session: InterviewSession) -> dict[str, object]:
    """The room's view of the interview: its questions, their attempts, and which one is current."""
    questions = session_questions_with_answers(session=session)
    current = next((q for q in questions if q.status in (QuestionStatus.PENDING, QuestionStatus.ASKED)), None)
    return {
        "status": session.status,
        "currentQuestionId": current.pk if current else None,
        "questions": [{"id": q.pk, "position": q.position, "text": q.text, "topic": q.topic.name,
                       "subtopic": q.subtopic.name if q.subtopic else "", "hint": q.hint, "status": q.status,
                       "source": q.source, "parentId": q.parent_id,
                       "answers": [{"id": a.pk, "attempt": a.attempt, "status": a.status,
                                    "content_score": a.content_score} for a in q.answers.all()]}
                      for q in questions],
    }
