"""The instructor's read side: the cohorts they run, their members, and what members produced while in them.

The scope rule is the issue's privacy promise: an instructor sees only the members of their own cohorts (admins
see every cohort), and of each member only the interviews *created* between a membership's `joined_at` and its
`left_at` (open memberships: until now). Answers and reports follow their interview. Every member read below goes
through `_window_q`, so no query can forget the window; objects out of scope raise Http404 (never 403), so an id
reveals nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Cohort, CohortMembership, User
from sessions.models import Answer, AnswerStatus, Assignment, InterviewSession, SessionStatus

if TYPE_CHECKING:
    from sessions.services import InterviewSpec

RECENT_DAYS = 7  # "practised recently" on the cohort dashboard
WEAKEST_LIMIT = 5


def cohorts_for_viewer(*, viewer: User) -> QuerySet[Cohort]:
    """The cohorts `viewer` runs (admins: all), each with its active member count."""
    queryset = Cohort.objects.all() if viewer.is_admin else Cohort.objects.filter(owner=viewer)
    return (queryset.select_related("owner")
            .annotate(member_count=Count("memberships", filter=Q(memberships__left_at__isnull=True), distinct=True))
            .order_by("-is_active", "name"))


def cohort_for_viewer(*, viewer: User, cohort_id: int) -> Cohort:
    cohort = cohorts_for_viewer(viewer=viewer).filter(pk=cohort_id).first()
    if cohort is None:
        raise Http404("No such cohort.")
    return cohort


def memberships_of(*, cohort: Cohort, user_id: int | None = None) -> list[CohortMembership]:
    queryset = cohort.memberships.select_related("user").order_by("joined_at")
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    return list(queryset)


def member_for_viewer(*, viewer: User, cohort_id: int, user_id: int) -> tuple[Cohort, User, list[CohortMembership]]:
    """A (past or present) member of one of `viewer`'s cohorts, with every membership of theirs in it."""
    cohort = cohort_for_viewer(viewer=viewer, cohort_id=cohort_id)
    memberships = memberships_of(cohort=cohort, user_id=user_id)
    if not memberships:
        raise Http404("No such member.")
    return cohort, memberships[0].user, memberships


def _window_q(memberships: list[CohortMembership]) -> Q:
    """Interviews created while one of `memberships` was open. No memberships -> matches nothing."""
    condition = Q(pk__in=[])
    for membership in memberships:
        part = Q(owner_id=membership.user_id, created_at__gte=membership.joined_at)
        if membership.left_at is not None:
            part &= Q(created_at__lte=membership.left_at)
        condition |= part
    return condition


def sessions_in_window(*, memberships: list[CohortMembership]) -> QuerySet[InterviewSession]:
    scored = Q(questions__answers__status=AnswerStatus.SCORED)
    return (InterviewSession.objects.filter(_window_q(memberships))
            .annotate(avg_content=Avg("questions__answers__content_score", filter=scored),
                      avg_delivery=Avg("questions__answers__delivery_score", filter=scored),
                      answered=Count("questions__answers", filter=scored, distinct=True))
            .select_related("report", "owner", "assignment").prefetch_related("topics").order_by("-created_at"))


def session_for_viewer(*, viewer: User, cohort_id: int, user_id: int, session_id: int) -> InterviewSession:
    """A member's interview the instructor may open read-only: in one of their cohorts, inside the window."""
    _cohort, _member, memberships = member_for_viewer(viewer=viewer, cohort_id=cohort_id, user_id=user_id)
    session = InterviewSession.objects.filter(_window_q(memberships), pk=session_id).select_related("report").first()
    if session is None:
        raise Http404("No such interview.")
    return session


def _sparkline(values: list[float | None], *, width: int = 120, height: int = 28) -> str:
    """SVG polyline points for scores 0-100 (None skipped), oldest first; '' when fewer than two points."""
    points = [v for v in values if v is not None]
    if len(points) < 2:
        return ""
    step = width / (len(points) - 1)
    return " ".join(f"{i * step:.1f},{height - (v / 100) * height:.1f}" for i, v in enumerate(points))


def _progress(sessions: list[InterviewSession]) -> list[dict[str, Any]]:
    """Each interview with scored answers, oldest first: the member's progress over time."""
    return [{"session_id": s.pk, "date": s.created_at, "content": s.avg_content, "delivery": s.avg_delivery,
             "answered": s.answered}
            for s in sorted(sessions, key=lambda s: s.created_at) if s.answered]


def member_progress(*, memberships: list[CohortMembership]) -> dict[str, Any]:
    """One member's page: interviews in the window, progress over time, averages, weakest subtopics."""
    sessions = list(sessions_in_window(memberships=memberships))
    answers = _scored_answers(memberships)
    progress = _progress(sessions)
    return {
        "sessions": sessions,
        "progress": progress,
        "sparkline": _sparkline([p["content"] for p in progress]),
        "averages": answers.aggregate(content=Avg("content_score"), delivery=Avg("delivery_score"),
                                      answers=Count("id")),
        "weakest": _weakest_subtopics(answers),
    }


def _scored_answers(memberships: list[CohortMembership]) -> QuerySet[Answer]:
    window = InterviewSession.objects.filter(_window_q(memberships)).values("pk")
    return Answer.objects.filter(question__session__in=window, status=AnswerStatus.SCORED)


def _weakest_subtopics(answers: QuerySet[Answer], limit: int = WEAKEST_LIMIT) -> list[dict[str, Any]]:
    return list(answers.filter(question__subtopic__isnull=False, content_score__isnull=False).order_by()
                .values("question__subtopic_id", "question__subtopic__name", "question__topic__name")
                .annotate(avg_content=Avg("content_score"), answers=Count("id"),
                          members=Count("user", distinct=True))
                .order_by("avg_content", "-answers")[:limit])


def cohort_dashboard(*, cohort: Cohort) -> dict[str, Any]:
    """Who practised, average content and delivery scores, the weakest subtopics, each member's progress over time,
    and the assignments with who is overdue. Members who left are listed apart, with what they did while in."""
    now = timezone.now()
    memberships = memberships_of(cohort=cohort)
    sessions = list(sessions_in_window(memberships=memberships))
    answers = _scored_answers(memberships)
    per_user = {row["user_id"]: row for row in answers.order_by().values("user_id").annotate(
        avg_content=Avg("content_score"), avg_delivery=Avg("delivery_score"), answers=Count("id"))}
    sessions_by_user: dict[int, list[InterviewSession]] = {}
    for session in sessions:
        sessions_by_user.setdefault(session.owner_id, []).append(session)

    members: list[dict[str, Any]] = []
    seen: set[int] = set()
    # Latest membership first, so a member who left and re-joined appears once, as current.
    for membership in sorted(memberships, key=lambda m: (m.left_at is None, m.joined_at), reverse=True):
        if membership.user_id in seen:
            continue
        seen.add(membership.user_id)
        own = sessions_by_user.get(membership.user_id, [])
        last = max((s.created_at for s in own), default=None)
        stats = per_user.get(membership.user_id, {})
        progress = _progress(own)
        members.append({
            "user": membership.user, "membership": membership, "active": membership.left_at is None,
            "interviews": len(own), "completed": sum(s.status == SessionStatus.COMPLETED for s in own),
            "last_practised": last, "practised_recently": bool(last and last >= now - timedelta(days=RECENT_DAYS)),
            "avg_content": stats.get("avg_content"), "avg_delivery": stats.get("avg_delivery"),
            "answers": stats.get("answers", 0), "progress": progress,
            "sparkline": _sparkline([p["content"] for p in progress]),
        })
    members.sort(key=lambda m: (not m["active"], m["user"].display_name.lower()))
    active = [m for m in members if m["active"]]
    return {
        "cohort": cohort,
        "members": active,
        "former_members": [m for m in members if not m["active"]],
        "practised": [m for m in active if m["practised_recently"]],
        "not_practised": [m for m in active if not m["practised_recently"]],
        "recent_days": RECENT_DAYS,
        "averages": answers.aggregate(content=Avg("content_score"), delivery=Avg("delivery_score"),
                                      answers=Count("id")),
        "weakest": _weakest_subtopics(answers),
        "assignments": assignment_progress(cohort=cohort, memberships=memberships, now=now),
    }


def assignment_progress(*, cohort: Cohort, memberships: list[CohortMembership] | None = None,
                        now: Any = None) -> list[dict[str, Any]]:
    """Each assignment of the cohort with the active members who completed it and those overdue."""
    now = now or timezone.now()
    memberships = memberships if memberships is not None else memberships_of(cohort=cohort)
    active_users = {m.user_id: m.user for m in memberships if m.left_at is None}
    assignments = list(Assignment.objects.filter(cohort=cohort).prefetch_related("topics")
                       .order_by("due_at", "-created_at"))
    done_pairs = set(InterviewSession.objects.filter(assignment__in=assignments, status=SessionStatus.COMPLETED,
                                                     owner_id__in=active_users)
                     .values_list("assignment_id", "owner_id"))
    result = []
    for assignment in assignments:
        done = [user for uid, user in active_users.items() if (assignment.pk, uid) in done_pairs]
        missing = [user for uid, user in active_users.items() if (assignment.pk, uid) not in done_pairs]
        is_past_due = bool(assignment.due_at and assignment.due_at < now)
        result.append({
            "assignment": assignment, "done": done, "missing": missing, "member_count": len(active_users),
            "past_due": is_past_due, "overdue": missing if is_past_due else [],
        })
    return result


def assignment_for_viewer(*, viewer: User, cohort_id: int, assignment_id: int) -> Assignment:
    cohort = cohort_for_viewer(viewer=viewer, cohort_id=cohort_id)
    assignment = Assignment.objects.filter(cohort=cohort, pk=assignment_id).select_related("cohort").first()
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def cohort_by_invite(*, invite_code: str) -> Cohort | None:
    return Cohort.objects.filter(invite_code=invite_code.strip(), is_active=True).select_related("owner").first()


def assignment_spec(*, assignment: Assignment, user: User) -> InterviewSpec:
    """What starting `assignment` means for `user`: its mode, topics, difficulty and count, in their own persona,
    with their active resume (resume-based assignments need one; interview_start reports it when missing)."""
    from accounts.selectors import active_resume
    from sessions.services import InterviewSpec

    resume = active_resume(user=user)
    return InterviewSpec(mode=assignment.mode, topic_slugs=tuple(t.slug for t in assignment.topics.all()),
                         difficulty=assignment.difficulty, count=assignment.question_count,
                         persona=user.persona or "friendly", resume_id=resume.pk if resume else None,
                         assignment_id=assignment.pk)
