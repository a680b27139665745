"""The interview report: the page (printable), the JSON status it polls, and the PDF. Owner only (404 otherwise)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from interviewprep import charts
from pipeline.measures import BANDS
from sessions import reporting, selectors
from sessions.models import ReportStatus


@login_required
@require_GET
def report(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    if session.is_open:
        return redirect("interviews:room", session_id=session.pk)
    report = reporting.report_request(session=session)
    ready = report is not None and report.status == ReportStatus.READY
    data = report.data if ready else {}
    questions = data.get("questions") or []
    return render(request, "sessions/report.html", {
        "session": session, "report": report, "ready": ready, "data": data,
        "status": reporting.report_status(report=report, session=session),
        "charts": {
            "scores": charts.scores_chart(questions),
            "pace": charts.pace_chart(questions, low=BANDS["wpm"].low, high=BANDS["wpm"].high),
            "bands": charts.bands_chart(data.get("bands") or []),
        } if ready else {},
    })


@login_required
@require_GET
def report_status(request: HttpRequest, session_id: int) -> JsonResponse:
    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    report = session.report if hasattr(session, "report") else None
    return JsonResponse(reporting.report_status(report=report, session=session))


@login_required
@require_GET
def report_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    from sessions.report_pdf import report_pdf_render

    session = selectors.session_for_owner(user=request.user, session_id=session_id)
    report = session.report if hasattr(session, "report") else None
    if report is None or report.status != ReportStatus.READY:
        raise Http404("The report is not ready yet.")
    response = HttpResponse(report_pdf_render(report=report, session=session), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="interview-{session.pk}-report.pdf"'
    return response
