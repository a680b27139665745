"""Candidate pages: landing, dashboard, new interview, the room, per-answer feedback, history.

Interfaces only: parse, authorize (ownership through the selectors), call one service, answer.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from interviewprep.ratelimit import rate_limited
from sessions import selectors, services
from sessions.forms import NewInterviewForm, TypedAnswerForm
from sessions.models import AnswerStatus, InterviewSession


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "landing.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from sessions.dashboard import dashboard_context

    return render(request, "dashboard.html", dashboard_context(user=request.user))


@login_required
def history(request: HttpRequest) -> HttpResponse:
    sessions = selectors.sessions_with_figures(selectors.sessions_for_user(user=request.user))
    return render(request, "sessions/history.html", {"sessions": sessions})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("interview_create")
def interview_new(request: HttpRequest) -> HttpResponse:
    initial = {}
    assignment = None
    if request.GET.get("assignment"):
        from sessions.dashboard import assignment_for_member

        assignment = assignment_for_member(user=request.user, assignment_id=request.GET["assignment"])
        if assignment is not None:
            initial = {"mode": assignment.mode, "difficulty": assignment.difficulty,
                       "count": assignment.question_count, "topics": list(assignment.topics.all())}
    form = NewInterviewForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assignment_id = request.POST.get("assignment") or None
        spec = services.InterviewSpec(
            mode=data["mode"], topic_slugs=tuple(t.slug for t in data["topics"]), difficulty=data["difficulty"],
            count=data["count"], persona=data["persona"], resume_id=data.get("resume"),
            job_description_id=data.get("job_description"), hands_free=data["hands_free"],
            assignment_id=int(assignment_id) if assignment_id and assignment_id.isdigit() else None,
        )
        try:
            session = services.interview_start(user=request.user, spec=spec)
        except services.InterviewError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("interviews:room", session_id=session.pk)
    return render(request, "sessions/new.html", {"form": form, "assignment": assignment})


@login_required
@require_POST
@rate_limited("interview_create")
def interview_from_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job-fit page's "Practise these now": one technical interview of its preparation list's questions."""
    from accounts.models import JobDescription
    from accounts.selectors import active_resume
    from rag.selectors import job_fit, job_fit_practice

    job = JobDescription.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404("No such job description.")
    ext_ids, reasons = job_fit_practice(fit=job_fit(job=job, resume=active_resume(user=request.user)))
    if not ext_ids:
        messages.error(request, "The preparation list has no bank questions to practise yet.")
        return redirect("rag:job_fit", job_id=job.pk)
    spec = services.InterviewSpec(mode="technical", count=min(len(ext_ids), 10), job_description_id=job.pk,
                                  bank_question_ids=tuple(ext_ids), bank_question_reasons=reasons)
    try:
        session = services.interview_start(user=request.user, spec=spec)
    except services.InterviewError as exc:
        messages.error(request, str(exc))
        return redirect("rag:job_fit", job_id=job.pk)
    return redirect("interviews:room", session_id=session.pk)


@login_required
@require_GET
def room(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    if not session.is_open:
        return redirect("interviews:report", session_id=session.pk)
    state = selectors.room_state(session=session)
    config = {
        **state,
        "sessionId": session.pk,
        "wsPath": f"/ws/interview/{session.pk}/",
        "persona": session.persona,
        "handsFree": session.hands_free,
        "silenceS": settings.HANDS_FREE_SILENCE_S,
        "speak": request.user.speak_questions,
        "avatar": request.user.show_avatar,
        "captionEngine": selectors.caption_engine_preference(),
        "urls": {
            "skip": reverse("interviews:skip", args=[session.pk, 0]),
            "typed": reverse("interviews:typed_answer", args=[session.pk, 0]),
            "answerStatus": reverse("interviews:answer_status", args=[0]),
            "answer": reverse("interviews:answer", args=[0]),
            "finish": reverse("interviews:finish", args=[session.pk]),
            "state": reverse("interviews:state", args=[session.pk]),
            "report": reverse("interviews:report", args=[session.pk]),
        },
    }
    current = next((q for q in state["questions"] if q["id"] == state["currentQuestionId"]), None)
    return render(request, "sessions/room.html", {"session": session, "current": current, "config": config,
                                                  "typed_form": TypedAnswerForm()})


@login_required
@require_GET
def session_state(request: HttpRequest, session_id: int) -> JsonResponse:
    """The room re-reads the question list after follow-ups were inserted (polling fallback for pushes)."""
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    return JsonResponse(selectors.room_state(session=session))


@login_required
@require_POST
def question_skip(request: HttpRequest, session_id: int, question_id: int) -> HttpResponse:
    question = selectors.question_for_owner(user=request.user, session_id=session_id, question_id=question_id)
    try:
        services.question_skip(question=question)
    except services.InterviewError as exc:
        return _fail(request, exc, session_id)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    return redirect("interviews:room", session_id=session_id)


@login_required
@require_POST
def typed_answer(request: HttpRequest, session_id: int, question_id: int) -> HttpResponse:
    question = selectors.question_for_owner(user=request.user, session_id=session_id, question_id=question_id)
    form = TypedAnswerForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"error": form.errors.get_json_data()}, status=400)
        messages.error(request, "Type an answer first (at most 10,000 characters).")
        return redirect("interviews:room", session_id=session_id)
    try:
        answer = services.answer_submit_text(question=question, user=request.user, text=form.cleaned_data["text"])
    except services.InterviewError as exc:
        return _fail(request, exc, session_id)
    if _wants_json(request):
        return JsonResponse(selectors.answer_status(answer=answer), status=201)
    return redirect("interviews:answer", answer_id=answer.pk)


@login_required
@require_POST
def interview_finish(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    try:
        services.interview_finish(session=session)
    except services.InterviewError as exc:
        return _fail(request, exc, session_id)
    return redirect("interviews:report", session_id=session.pk)


@login_required
@require_POST
def interview_abandon(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    try:
        services.interview_abandon(session=session)
    except services.InterviewError as exc:
        return _fail(request, exc, session_id)
    messages.info(request, "Interview abandoned. Your answers so far are kept in your history.")
    return redirect("interviews:history")


@login_required
@require_POST
def interview_pause(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    try:
        services.interview_pause(session=session)
    except services.InterviewError as exc:
        return _fail(request, exc, session_id)
    messages.info(request, "Interview paused. Resume it from your history or dashboard whenever you like.")
    return redirect("dashboard")


@login_required
@require_GET
def answer_detail(request: HttpRequest, answer_id: int) -> HttpResponse:
    from sessions.feedback_view import answer_page_context

    answer = selectors.answer_for_owner(user=request.user, answer_id=answer_id)
    return render(request, "sessions/answer.html", answer_page_context(answer=answer))


@login_required
@require_GET
def answer_status(request: HttpRequest, answer_id: int) -> JsonResponse:
    answer = selectors.answer_for_owner(user=request.user, answer_id=answer_id)
    return JsonResponse(selectors.answer_status(answer=answer))


@login_required
@require_POST
def answer_retry(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = selectors.answer_for_owner(user=request.user, answer_id=answer_id)
    if answer.status not in (AnswerStatus.FAILED, AnswerStatus.SCORED):
        messages.info(request, "This answer is still being processed.")
    else:
        try:
            services.answer_retry(answer=answer)
        except services.InterviewError as exc:
            messages.error(request, str(exc))
    return redirect("interviews:answer", answer_id=answer.pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _fail(request: HttpRequest, exc: services.InterviewError, session_id: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": str(exc), "code": exc.code}, status=409)
    messages.error(request, str(exc))
    session = InterviewSession.objects.filter(pk=session_id).first()
    if session is not None and not session.is_open:
        return redirect("interviews:history")
    return redirect("interviews:room", session_id=session_id)
