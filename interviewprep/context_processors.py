from django.conf import settings
from django.http import HttpRequest


def product(request: HttpRequest) -> dict[str, object]:
    return {"RUN_MODE": settings.RUN_MODE, "PRODUCT_NAME": "Interview Prep"}
