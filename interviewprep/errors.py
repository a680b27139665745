"""Error pages; under /api/ the same errors as JSON in DRF's shape, as the OpenAPI schema documents them."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/v1/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):  # e.g. an id the path converter refuses: no view ran to answer in JSON
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this.", "code": "forbidden"}, status=403)
    return render(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in them.
    return HttpResponse(get_template("500.html").render(), status=500)
