"""The interview report: the page (printable), the JSON status it polls, and the PDF. Owner only (404 otherwise),
except through a mentor's share link: signed, read-only, expiring and revocable (the same page and PDF, without
links to the answers, their audio or anything else of the candidate's)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from interviewprep import charts
from interviewprep.ratelimit import rate_limited
from pipeline.measures import BANDS
from sessions import reporting, selectors, services
from sessions.models import InterviewSession, Report, ReportStatus


def _report_context(*, session: InterviewSession, report: Report | None, shared: bool) -> dict[str, Any]:
    ready = report is not None and report.status == ReportStatus.READY
    data = report.data if ready else {}
    questions = data.get("questions") or []
    return {
        "session": session, "report": report, "ready": ready, "data": data, "shared": shared,
        "help": reporting.FIGURE_HELP,
        "figure_help": [(key.capitalize(), reporting.FIGURE_HELP[key])
                        for key in ("content", "delivery", "structure", "confidence")],
        "status": reporting.report_status(report=report, session=session),
        "charts": {
            "scores": charts.scores_chart(questions),
            "pace": charts.pace_chart(questions, low=BANDS["wpm"].low, high=BANDS["wpm"].high),
            "bands": charts.bands_chart(data.get("bands") or []),
        } if ready else {},
    }


@login_required
@require_GET
def report(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    if session.is_open:
        return redirect("interviews:room", session_id=session.pk)
    context = _report_context(session=session, report=reporting.report_request(session=session), shared=False)
    context["share_links"] = selectors.share_links_for_session(session=session)
    context["share_days"] = {"default": settings.REPORT_SHARE_DAYS, "max": settings.REPORT_SHARE_MAX_DAYS}
    return render(request, "sessions/report.html", context)


@login_required
@require_GET
def report_status(request: HttpRequest, session_id: int) -> JsonResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    report = session.report if hasattr(session, "report") else None
    return JsonResponse(reporting.report_status(report=report, session=session))


def _pdf_response(session: InterviewSession) -> HttpResponse:
    from sessions.report_pdf import report_pdf_render

    report = session.report if hasattr(session, "report") else None
    if report is None or report.status != ReportStatus.READY:
        raise Http404("The report is not ready yet.")
    response = HttpResponse(report_pdf_render(report=report, session=session), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="interview-{session.pk}-report.pdf"'
    return response


@login_required
@require_GET
def report_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    return _pdf_response(selectors.session_for_owner(user=request.user, session_id=session_id))


# --- share links for a mentor -----------------------------------------------------------------------------------

@login_required
@require_POST
@rate_limited("report_share")
def report_share_create(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    raw_days = request.POST.get("days", "").strip()
    try:
        days = int(raw_days) if raw_days else None
    except ValueError:
        messages.error(request, "The number of days must be a whole number.")
        return redirect("interviews:report", session_id=session.pk)
    try:
        services.report_share_create(session=session, days=days, note=request.POST.get("note", ""))
    except services.InterviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Share link made: copy it from the list below. It opens this report only, "
                                  "read-only, until it expires or you revoke it.")
    return redirect(reverse("interviews:report", args=[session.pk]) + "#share-h")


@login_required
@require_POST
def report_share_revoke(request: HttpRequest, session_id: int, link_id: int) -> HttpResponse:
    link = selectors.share_link_for_owner(user=request.user, session_id=session_id, link_id=link_id)
    services.report_share_revoke(link=link)
    messages.info(request, "Link revoked: it now shows “not found”.")
    return redirect(reverse("interviews:report", args=[session_id]) + "#share-h")


def _shared_headers(response: HttpResponse) -> HttpResponse:
    # The token is the credential: not cached by proxies, not sent on as a Referer, not indexed.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
@rate_limited("report_shared", methods=("GET",))
def report_shared(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.share_link_for_token(token=token)
    report = getattr(link.session, "report", None)
    if report is None or report.status != ReportStatus.READY:
        raise Http404("No such report.")
    services.report_share_record_view(link=link)
    context = _report_context(session=link.session, report=report, shared=True)
    context |= {"link": link, "pdf_url": reverse("interviews:report_shared_pdf", args=[token])}
    return _shared_headers(render(request, "sessions/report.html", context))


@require_GET
@rate_limited("report_shared", methods=("GET",))
def report_shared_pdf(request: HttpRequest, token: str) -> HttpResponse:
    return _shared_headers(_pdf_response(selectors.share_link_for_token(token=token).session))
