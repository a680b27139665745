"""Knowledge pages: the tutor chat, resume upload with processing progress, job descriptions and job fit.

Interfaces only: parse, authorize (ownership in every lookup), call one service or selector, answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.models import JobDescription, Resume
from interviewprep.body_limits import accepts_upload
from interviewprep.ratelimit import rate_limited
from rag import selectors

TUTOR_HISTORY = 8  # turns kept in the session: enough context on the page, bounded cookie/session size


def _own_resume(request: HttpRequest, resume_id: int) -> Resume:
    resume = Resume.objects.filter(pk=resume_id, user=request.user).first()
    if resume is None:
        raise Http404("No such resume.")
    return resume


def _own_job(request: HttpRequest, job_id: int) -> JobDescription:
    job = JobDescription.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404("No such job description.")
    return job


@login_required
@require_http_methods(["GET", "POST"])
def tutor(request: HttpRequest) -> HttpResponse:
    from rag.tutor import tutor_answer

    history: list[dict] = request.session.get("tutor", [])
    if request.method == "POST":
        if request.POST.get("clear"):
            history = []
        else:
            try:
                # The earlier turns resolve "the second one", "why?" or "and in Java?" (rag/tutor.py).
                reply = tutor_answer(question=request.POST.get("question", ""), history=history)
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                history = [*history, reply][-TUTOR_HISTORY:]
        request.session["tutor"] = history
        return redirect("rag:tutor")
    return render(request, "rag/tutor.html", {"history": history})


@accepts_upload
@login_required
@require_POST
@rate_limited("upload")
def resume_upload(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    from rag.resumes import ResumeError
    from rag.services import resume_upload as upload

    upload_file = request.FILES.get("file")
    if upload_file is None:
        messages.error(request, "Choose a file to upload.")
        return redirect("accounts:profile")
    if upload_file.size > settings.UPLOAD_MAX_BYTES:
        # Refuse before reading the body into memory.
        messages.error(request, f"The file is {upload_file.size / 1e6:.1f} MB; the limit is "
                                f"{settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")
        return redirect("accounts:profile")
    try:
        upload(user=request.user, name=upload_file.name or "resume", data=upload_file.read())
    except ResumeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Resume uploaded; it is being read now.")
    return redirect("accounts:profile")


@login_required
@require_GET
def resume_status(request: HttpRequest, resume_id: int) -> JsonResponse:
    return JsonResponse(selectors.resume_status(resume=_own_resume(request, resume_id)))


@login_required
@require_POST
def resume_delete(request: HttpRequest, resume_id: int) -> HttpResponse:
    from rag.services import resume_delete as delete

    delete(resume=_own_resume(request, resume_id))
    messages.info(request, "Resume deleted.")
    return redirect("accounts:profile")


@login_required
@require_POST
def job_create(request: HttpRequest) -> HttpResponse:
    from accounts.forms import JobDescriptionForm
    from accounts.services import AccountError
    from rag.services import job_description_create

    form = JobDescriptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A job description needs a title and its text (at most 20,000 characters).")
        return redirect("accounts:profile")
    try:
        job = job_description_create(user=request.user, **form.cleaned_data)
    except AccountError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:profile")
    return redirect("rag:job_fit", job_id=job.pk)


@login_required
@require_GET
def job_fit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    resume = account_selectors.active_resume(user=request.user)
    return render(request, "rag/job_fit.html", {"job": job, "resume": resume,
                                                "fit": selectors.job_fit(job=job, resume=resume)})
