"""Reads for accounts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Cohort, CohortMembership, JobDescription, Resume, User


def resumes_for_user(*, user: User) -> QuerySet[Resume]:
    return Resume.objects.filter(user=user).order_by("-created_at")


def active_resume(*, user: User) -> Resume | None:
    return Resume.objects.filter(user=user, is_active=True, status="ready").order_by("-created_at").first()


def job_descriptions_for_user(*, user: User) -> QuerySet[JobDescription]:
    return JobDescription.objects.filter(user=user).order_by("-created_at")


def cohorts_owned(*, user: User) -> QuerySet[Cohort]:
    if user.is_admin:
        return Cohort.objects.all()
    return Cohort.objects.filter(owner=user)


def memberships_active(*, user: User) -> QuerySet[CohortMembership]:
    return CohortMembership.objects.filter(user=user, left_at__isnull=True, cohort__is_active=True).select_related(
        "cohort"
    )


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything stored about `user`, as plain data (dump it with DjangoJSONEncoder): the admin's export action.

    Audio stays out (it is raw PCM on disk; its size and whether it was deleted are in each answer).
    """
    from mastery.models import MasteryEvent, StudyPlan, SubtopicMastery, TopicMastery
    from sessions.models import Answer, InterviewSession

    def rows(queryset: QuerySet[Any], *fields: str) -> list[dict[str, Any]]:
        return list(queryset.values(*fields))

    answers_by_question: dict[int, list[dict[str, Any]]] = {}
    for answer in Answer.objects.filter(user=user).order_by("question_id", "attempt").values(
            "id", "question_id", "attempt", "input_mode", "status", "error", "audio_bytes", "audio_deleted_at",
            "started_at", "ended_at", "duration_s", "speaking_time_s", "signal", "transcript", "words",
            "transcript_engine", "delivery", "content_score", "similarity", "key_points_covered",
            "key_points_missed", "feedback", "feedback_engine", "delivery_score", "structure_score", "scored_at"):
        answers_by_question.setdefault(answer.pop("question_id"), []).append(answer)
    interviews = []
    sessions = (InterviewSession.objects.filter(owner=user).prefetch_related("topics", "questions")
                .select_related("report").order_by("created_at"))
    for session in sessions:
        report = getattr(session, "report", None)
        interviews.append({
            "id": session.pk, "mode": session.mode, "status": session.status, "difficulty": session.difficulty,
            "persona": session.persona, "topics": [t.slug for t in session.topics.all()],
            "assignment_id": session.assignment_id, "created_at": session.created_at,
            "started_at": session.started_at, "finished_at": session.finished_at,
            "questions": [{"id": q.pk, "position": q.position, "text": q.text, "topic_id": q.topic_id,
                           "subtopic_id": q.subtopic_id, "difficulty": q.difficulty, "source": q.source,
                           "status": q.status, "answers": answers_by_question.get(q.pk, [])}
                          for q in sorted(session.questions.all(), key=lambda q: q.position)],
            "report": None if report is None else {
                "status": report.status, "content_score": report.content_score,
                "delivery_score": report.delivery_score, "confidence_score": report.confidence_score,
                "engine": report.engine, "built_at": report.built_at, "data": report.data},
        })
    plans = []
    for plan in StudyPlan.objects.filter(user=user).prefetch_related("items").order_by("created_at"):
        plans.append({"id": plan.pk, "created_at": plan.created_at, "is_current": plan.is_current,
                      "summary": plan.summary, "engine": plan.engine,
                      "items": [{"kind": i.kind, "title": i.title, "detail": i.detail, "target": i.target,
                                 "subtopic_id": i.subtopic_id, "priority": i.priority, "due_date": i.due_date,
                                 "done_at": i.done_at} for i in plan.items.all()]})
    return {
        "format": "interviewprep.user-export/1",
        "user": rows(User.objects.filter(pk=user.pk), "id", "email", "full_name", "role", "target_role",
                     "seniority", "years_experience", "skills", "persona", "speak_questions", "show_avatar",
                     "date_joined", "last_login")[0],
        "resumes": rows(Resume.objects.filter(user=user), "id", "original_name", "file_type", "size_bytes", "text",
                        "parsed", "status", "is_active", "created_at"),
        "job_descriptions": rows(JobDescription.objects.filter(user=user), "id", "title", "company", "text",
                                 "parsed", "created_at"),
        "interviews": interviews,
        "subtopic_mastery": rows(SubtopicMastery.objects.filter(user=user), "subtopic__topic__slug",
                                 "subtopic__slug", "rating", "variance", "evidence_count", "last_score",
                                 "last_practiced_at", "interval_days", "next_review_at"),
        "topic_mastery": rows(TopicMastery.objects.filter(user=user), "topic__slug", "rating", "variance",
                              "evidence_count"),
        "mastery_events": rows(MasteryEvent.objects.filter(user=user), "subtopic__topic__slug", "subtopic__slug",
                               "answer_id", "score", "difficulty", "rating_before", "rating_after", "created_at"),
        "study_plans": plans,
        "memberships": rows(CohortMembership.objects.filter(user=user), "cohort__name", "joined_at", "left_at"),
    }
