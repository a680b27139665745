"""What the candidate's dashboard shows: open and recent interviews, mastery, next study steps, assignments."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from sessions.models import Assignment, InterviewSession, SessionStatus
from sessions.selectors import assignments_done, sessions_with_figures


def assignments_for_member(*, user: User) -> list[dict[str, Any]]:
    """Assignments of the user's active cohorts, each with whether the user has done it (the same rule the
    instructor's dashboard uses: `sessions.selectors.assignments_done`)."""
    assignments = (Assignment.objects.filter(cohort__memberships__user=user, cohort__memberships__left_at__isnull=True,
                                             cohort__is_active=True)
                   .select_related("cohort").prefetch_related("topics").order_by("due_at", "-created_at").distinct())
    done = {aid for aid, _ in assignments_done(assignment_ids=[a.pk for a in assignments], user_ids=[user.pk])}
    now = timezone.now()
    return [{"assignment": a, "done": a.pk in done, "overdue": bool(a.due_at and a.due_at < now and a.pk not in done)}
            for a in assignments]


def assignment_for_member(*, user: User, assignment_id: str | int) -> Assignment | None:
    try:
        pk = int(assignment_id)
    except (TypeError, ValueError):
        return None
    return (Assignment.objects.filter(pk=pk, cohort__memberships__user=user,
                                      cohort__memberships__left_at__isnull=True).first())


def dashboard_context(*, user: User) -> dict[str, Any]:
    from mastery.selectors import mastery_summary, plan_next_steps

    sessions = InterviewSession.objects.filter(owner=user).select_related("report").prefetch_related("topics")
    return {
        "open_sessions": list(sessions.filter(Q(status=SessionStatus.ACTIVE) | Q(status=SessionStatus.PAUSED))[:5]),
        "recent_sessions": sessions_with_figures(sessions.filter(status=SessionStatus.COMPLETED)[:5]),
        "mastery": mastery_summary(user=user),
        "next_steps": plan_next_steps(user=user, limit=4),
        "assignments": assignments_for_member(user=user),
        "interview_count": sessions.count(),
    }
