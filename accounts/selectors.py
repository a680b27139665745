"""Reads for accounts."""

from __future__ import annotations

from typing import Any, BinaryIO

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


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything stored about `user`, as plain data (dump it with DjangoJSONEncoder): the account's own rows and
    every app's registered part (accounts/user_data.py). Files (recordings) are not in this document: each answer
    names its file in the archive that `user_data_archive` writes."""
    from accounts.user_data import user_data_parts

    def rows(queryset: QuerySet[Any], *fields: str) -> list[dict[str, Any]]:
        return list(queryset.values(*fields))

    document: dict[str, Any] = {
        "format": "interviewprep.user-export/1",
        "user": rows(User.objects.filter(pk=user.pk), "id", "email", "full_name", "role", "target_role",
                     "seniority", "years_experience", "skills", "persona", "speak_questions", "show_avatar",
                     "date_joined", "last_login")[0],
        "resumes": rows(Resume.objects.filter(user=user), "id", "original_name", "file_type", "size_bytes", "text",
                        "parsed", "status", "is_active", "created_at"),
        "job_descriptions": rows(JobDescription.objects.filter(user=user), "id", "title", "company", "text",
                                 "parsed", "created_at"),
    }
    for part in user_data_parts():
        document |= part.export(user)
    document["memberships"] = rows(CohortMembership.objects.filter(user=user), "cohort__name", "joined_at",
                                   "left_at")
    return document


def user_data_archive(*, user: User, target: BinaryIO) -> None:
    """Write the whole export as a ZIP to `target`: `data.json` (user_data_export) and every file the apps' parts
    list (recordings under `audio/`). Recordings are already compressed, so they are stored, not deflated again."""
    import json
    import zipfile

    from django.core.serializers.json import DjangoJSONEncoder

    from accounts.user_data import user_data_parts

    document = json.dumps(user_data_export(user=user), cls=DjangoJSONEncoder, indent=2)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("data.json", document, compress_type=zipfile.ZIP_DEFLATED)
        for part in user_data_parts():
            for item in part.files(user) if part.files else []:
                if not item.path.exists():  # removed since it was listed (purge): the document still says so
                    continue
                with archive.open(item.name, "w", force_zip64=True) as out, item.path.open("rb") as source:
                    out.write(item.prefix)
                    while chunk := source.read(1 << 20):
                        out.write(chunk)
