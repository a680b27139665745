"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Cohort, CohortMembership, JobDescription, Resume, User


def resumes_for_user(*, user: User) -> QuerySet[Resume]:
    return Resume.objects.filter(user=user).order_by("-created_at")


def active_resume(*, user: User) -> Resume | None:
    return Resume.objects.filter(user=user, is_active=True, status="ready").order_by("-created_at").first()


def job_descriptions_for_user(*, user: User) -> QuerySet[JobDescription]:
    return JobDescription.objects.filter(user=user).order_by("-created_at")


def cohorts_owned(*, user: User) -> QuerySet[Cohort]:
    if user.is_admin:
        return Cohort.objects.all()
    return Cohort.objects.filter(owner=user)


def memberships_active(*, user: User) -> QuerySet[CohortMembership]:
    return CohortMembership.objects.filter(user=user, left_at__isnull=True, cohort__is_active=True).select_related(
        "cohort"
    )
