"""Report pages (placeholder until the feedback work lands)."""

from django.http import Http404, HttpRequest, HttpResponse


def report(request: HttpRequest, session_id: int) -> HttpResponse:
    raise Http404


report_status = report_pdf = report
