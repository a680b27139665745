"""Cohort pages: instructors run cohorts (invite, remove, assign, watch progress, read reports); members join by
code or link and start assignments in one click.

Interfaces only: parse, authorize, call one service, answer. Scope comes from sessions/cohorts.py: another
instructor's cohort, member or interview is a 404; a candidate on an instructor page is a 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import JoinCohortForm
from interviewprep.ratelimit import rate_limited
from mastery.models import Topic
from sessions import cohorts
from sessions import services as interview_services
from sessions.forms import DIFFICULTY_CHOICES
from sessions.models import InterviewMode


class CohortForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AssignmentForm(forms.Form):
    title = forms.CharField(max_length=200, required=False, help_text="Empty: named after the mode.")
    mode = forms.ChoiceField(choices=InterviewMode.choices, initial=InterviewMode.TECHNICAL)
    topics = forms.ModelMultipleChoiceField(queryset=Topic.objects.none(), required=False, to_field_name="slug",
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text="None selected: every topic of the mode.")
    difficulty = forms.TypedChoiceField(choices=DIFFICULTY_CHOICES, coerce=int, initial=0)
    question_count = forms.IntegerField(min_value=1, max_value=20, initial=5, label="Questions")
    due_at = forms.DateTimeField(required=False, label="Due",
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                            format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.exclude(kind="delivery").order_by("kind", "name")


def instructor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else the login page) and an instructor or admin (else 403)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_instructor:
            raise PermissionDenied("Instructors only.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


@instructor_required
@require_http_methods(["GET", "POST"])
def cohort_list(request: HttpRequest) -> HttpResponse:
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(owner=request.user, **form.cleaned_data)
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Cohort “{cohort.name}” created. Share its invite link with your candidates.")
            return redirect("cohorts:detail", cohort_id=cohort.pk)
    return render(request, "cohorts/list.html", {"cohorts": cohorts.cohorts_for_viewer(viewer=request.user),
                                                 "form": form})


@instructor_required
@require_GET
def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = cohorts.cohort_for_viewer(viewer=request.user, cohort_id=cohort_id)
    context = cohorts.cohort_dashboard(cohort=cohort)
    context["join_url"] = request.build_absolute_uri(reverse("cohorts:join_link", args=[cohort.invite_code]))
    return render(request, "cohorts/detail.html", context)


@instructor_required
@require_POST
def cohort_rotate_invite(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = cohorts.cohort_for_viewer(viewer=request.user, cohort_id=cohort_id)
    services.cohort_rotate_invite(cohort=cohort)
    messages.success(request, "New invite code made; the old code and link no longer work.")
    return redirect("cohorts:detail", cohort_id=cohort.pk)


@instructor_required
@require_POST
def member_remove(request: HttpRequest, cohort_id: int, user_id: int) -> HttpResponse:
    cohort, member, memberships = cohorts.member_for_viewer(viewer=request.user, cohort_id=cohort_id,
                                                            user_id=user_id)
    if not any(m.is_active for m in memberships):
        raise Http404("Not a current member.")
    services.cohort_remove_member(cohort=cohort, user=member)
    messages.info(request, f"{member.display_name} left the cohort. What they did while in it stays visible here.")
    return redirect("cohorts:detail", cohort_id=cohort.pk)


@instructor_required
@require_GET
def member_detail(request: HttpRequest, cohort_id: int, user_id: int) -> HttpResponse:
    cohort, member, memberships = cohorts.member_for_viewer(viewer=request.user, cohort_id=cohort_id,
                                                            user_id=user_id)
    context = cohorts.member_progress(memberships=memberships)
    context.update(cohort=cohort, member=member, memberships=memberships)
    return render(request, "cohorts/member.html", context)


@instructor_required
@require_GET
def member_report(request: HttpRequest, cohort_id: int, user_id: int, session_id: int) -> HttpResponse:
    from sessions.selectors import session_questions_with_answers

    session = cohorts.session_for_viewer(viewer=request.user, cohort_id=cohort_id, user_id=user_id,
                                         session_id=session_id)
    cohort = cohorts.cohort_for_viewer(viewer=request.user, cohort_id=cohort_id)
    return render(request, "cohorts/member_report.html", {
        "cohort": cohort, "member": session.owner, "session": session,
        "report": getattr(session, "report", None), "questions": session_questions_with_answers(session=session),
    })


@instructor_required
@require_http_methods(["GET", "POST"])
def assignment_new(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = cohorts.cohort_for_viewer(viewer=request.user, cohort_id=cohort_id)
    form = AssignmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            interview_services.assignment_create(cohort=cohort, created_by=request.user, title=data["title"],
                                       mode=data["mode"], topic_slugs=[t.slug for t in data["topics"]],
                                       difficulty=data["difficulty"], question_count=data["question_count"],
                                       due_at=data["due_at"])
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Assignment created: members see it on their dashboard.")
            return redirect("cohorts:detail", cohort_id=cohort.pk)
    return render(request, "cohorts/assignment_form.html", {"cohort": cohort, "form": form})


@instructor_required
@require_POST
def assignment_delete(request: HttpRequest, cohort_id: int, assignment_id: int) -> HttpResponse:
    assignment = cohorts.assignment_for_viewer(viewer=request.user, cohort_id=cohort_id, assignment_id=assignment_id)
    interview_services.assignment_delete(assignment=assignment, user=request.user)
    messages.info(request, "Assignment deleted. Interviews already done for it are kept.")
    return redirect("cohorts:detail", cohort_id=cohort_id)


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, invite_code: str = "") -> HttpResponse:
    """Join by typing the code, or by the link (`/cohorts/join/<code>/`): the link shows the cohort, POST joins."""
    cohort = cohorts.cohort_by_invite(invite_code=invite_code) if invite_code else None
    form = JoinCohortForm(request.POST or None, initial={"invite_code": invite_code})
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.cohort_join(user=request.user, invite_code=form.cleaned_data["invite_code"])
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"You joined “{membership.cohort.name}”. Its assignments appear below.")
            return redirect("dashboard")
    status = 404 if invite_code and cohort is None else 200
    return render(request, "cohorts/join.html", {"form": form, "cohort": cohort, "invite_code": invite_code},
                  status=status)


@login_required
@require_POST
@rate_limited("interview_create")
def assignment_start(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """One click on the dashboard: start the assignment's interview and open the room."""
    from sessions.dashboard import assignment_for_member
    from sessions.services import InterviewError, interview_start

    assignment = assignment_for_member(user=request.user, assignment_id=assignment_id)
    if assignment is None:
        raise Http404("No such assignment.")
    try:
        session = interview_start(user=request.user, spec=cohorts.assignment_spec(assignment=assignment,
                                                                                  user=request.user))
    except InterviewError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('interviews:new')}?assignment={assignment.pk}")
    return redirect("interviews:room", session_id=session.pk)
