"""DRF permission classes that mirror the pages (throttles: interviewprep/ratelimit.py).

Pages: a candidate's own objects come through the ownership-scoped selectors (someone else's id is a 404, never a
403), instructor pages need the instructor or admin role (403 otherwise), the question bank is read by everyone
signed in and written by admins. The API uses the same selectors, so the same ids give the same answers.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class IsInstructor(BasePermission):
    """Instructors and admins (the pages under /cohorts/)."""

    message = "Instructors only."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_instructor)


class IsAdminRole(BasePermission):
    message = "Admins only."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin)


class ReadAnyWriteAdmin(BasePermission):
    """Reading for everyone signed in, writing for admins (the question bank, as in the Django admin)."""

    message = "Only admins change the question bank."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.is_admin


class ServiceRefused(APIException):
    """A service refused the request (InterviewError, AccountError): its message and stable code, as the pages
    show them. 400 for bad input, 409 when the object's state forbids it."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str = "invalid", status: int = 400) -> None:
        super().__init__(detail={"detail": message, "code": code}, code=code)
        self.status_code = status
