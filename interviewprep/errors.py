from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in them.
    return HttpResponse(get_template("500.html").render(), status=500)
