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

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Cohort, CohortMembership, User
from interviewprep.charts import sparkline
from pipeline.figures import Figures, counted_answer, figure_mean, figures_of
from sessions.models import Answer, Assignment, InterviewSession, Persona, SessionStatus
from sessions.selectors import assignments_done, sessions_with_figures

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


def sessions_in_window(*, memberships: list[CohortMembership]) -> list[InterviewSession]:
    """The interviews in the window, newest first, each with `.figures` (the same figures the candidate sees)."""
    return sessions_with_figures(InterviewSession.objects.filter(_window_q(memberships))
                                 .select_related("report", "owner", "assignment").prefetch_related("topics")
                                 .order_by("-created_at"))


def _questions_of(sessions: list[InterviewSession]) -> list[Any]:
    return [q for s in sessions for q in s.questions.all()]


def _averages(figures: Figures) -> dict[str, Any]:
    return {"content": figures.content, "delivery": figures.delivery, "pace_wpm": figures.pace_wpm,
            "answers": figures.answered}


def session_for_viewer(*, viewer: User, cohort_id: int, user_id: int, session_id: int) -> InterviewSession:
    """A member's interview the instructor may open read-only: in one of their cohorts, inside the window."""
    _cohort, _member, memberships = member_for_viewer(viewer=viewer, cohort_id=cohort_id, user_id=user_id)
    session = InterviewSession.objects.filter(_window_q(memberships), pk=session_id).select_related("report").first()
    if session is None:
        raise Http404("No such interview.")
    return session


def answer_for_viewer(*, viewer: User, answer_id: int) -> Answer:
    """An answer its owner may open, or an instructor under the rule above: the answer's interview was created
    while its author was a member of one of the instructor's cohorts (admins: any cohort). Anything else is a 404.
    The replay audio is read through this."""
    answer = Answer.objects.select_related("question").filter(pk=answer_id).first()
    if answer is None:
        raise Http404("No such answer.")
    if answer.user_id == viewer.pk:
        return answer
    if viewer.is_instructor:
        memberships = list(CohortMembership.objects.filter(cohort__in=cohorts_for_viewer(viewer=viewer),
                                                           user_id=answer.user_id))
        if memberships and InterviewSession.objects.filter(_window_q(memberships),
                                                           pk=answer.question.session_id).exists():
            return answer
    raise Http404("No such answer.")


def _sparkline(values: list[float | None], *, zoom: int = 1) -> str:
    """The content-score sparkline (0-100, None skipped, oldest first); '' when fewer than two points."""
    points = [v for v in values if v is not None]
    if len(points) < 2:
        return ""
    return sparkline(points, label=f"Content score over {len(points)} interviews", zoom=zoom)


def _progress(sessions: list[InterviewSession]) -> list[dict[str, Any]]:
    """Each interview with scored answers, oldest first: the member's progress over time."""
    return [{"session_id": s.pk, "date": s.created_at, "content": s.figures.content,
             "delivery": s.figures.delivery, "pace_wpm": s.figures.pace_wpm, "answered": s.figures.answered}
            for s in sorted(sessions, key=lambda s: s.created_at) if s.figures.answered]


def member_progress(*, memberships: list[CohortMembership]) -> dict[str, Any]:
    """One member's page: interviews in the window, progress over time, averages, weakest subtopics."""
    sessions = sessions_in_window(memberships=memberships)
    progress = _progress(sessions)
    return {
        "sessions": sessions,
        "progress": progress,
        "sparkline": _sparkline([p["content"] for p in progress], zoom=2),
        "averages": _averages(figures_of(_questions_of(sessions))),
        "weakest": _weakest_subtopics(sessions),
    }


def _weakest_subtopics(sessions: list[InterviewSession], limit: int = WEAKEST_LIMIT) -> list[dict[str, Any]]:
    """Subtopics by the mean content of their counted answers (the latest scored attempt of each question), lowest
    first; the keys are the ones the templates and the API read."""
    groups: dict[int, dict[str, Any]] = {}
    for question in _questions_of(sessions):
        answer = counted_answer(question.answers.all())
        if answer is None or answer.content_score is None or question.subtopic_id is None:
            continue
        group = groups.setdefault(question.subtopic_id, {
            "question__subtopic_id": question.subtopic_id, "question__subtopic__name": question.subtopic.name,
            "question__topic__name": question.topic.name, "scores": [], "users": set()})
        group["scores"].append(answer.content_score)
        group["users"].add(answer.user_id)
    rows = [{**{k: v for k, v in g.items() if k not in ("scores", "users")},
             "avg_content": figure_mean(g["scores"]), "answers": len(g["scores"]), "members": len(g["users"])}
            for g in groups.values()]
    return sorted(rows, key=lambda r: (r["avg_content"], -r["answers"], r["question__subtopic__name"]))[:limit]


def cohort_dashboard(*, cohort: Cohort) -> dict[str, Any]:
    """Who practised, average content and delivery scores, the weakest subtopics, each member's progress over time,
    and the assignments with who is overdue. Members who left are listed apart, with what they did while in."""
    now = timezone.now()
    memberships = memberships_of(cohort=cohort)
    sessions = sessions_in_window(memberships=memberships)
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
        stats = _averages(figures_of(_questions_of(own)))
        progress = _progress(own)
        members.append({
            "user": membership.user, "membership": membership, "active": membership.left_at is None,
            "interviews": len(own), "completed": sum(s.status == SessionStatus.COMPLETED for s in own),
            "last_practised": last, "practised_recently": bool(last and last >= now - timedelta(days=RECENT_DAYS)),
            "avg_content": stats["content"], "avg_delivery": stats["delivery"], "avg_pace_wpm": stats["pace_wpm"],
            "answers": stats["answers"], "progress": progress,
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
        "averages": _averages(figures_of(_questions_of(sessions))),
        "weakest": _weakest_subtopics(sessions),
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
    done_pairs = assignments_done(assignment_ids=[a.pk for a in assignments], user_ids=active_users)
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
                         persona=Persona.preferred_by(user), resume_id=resume.pk if resume else None,
                         assignment_id=assignment.pk)
