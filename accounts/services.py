"""Writes for accounts: users and their profiles, job descriptions, cohorts and memberships."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Cohort, CohortMembership, JobDescription, Resume, Role, User


class AccountError(Exception):
    """A request the account layer refuses, with a message fit for the user."""


def user_create(*, email: str, password: str, full_name: str = "", role: str = Role.CANDIDATE) -> User:
    if User.objects.filter(email__iexact=email.strip()).exists():
        raise AccountError("An account with this email already exists.")
    if role not in Role.values:
        raise AccountError(f"Unknown role {role!r}.")
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip(), role=role,
                                    is_staff=role == Role.ADMIN)
    return user


PROFILE_FIELDS = ("full_name", "target_role", "seniority", "years_experience", "skills", "persona",
                  "speak_questions", "show_avatar")


def user_update_profile(*, user: User, **fields: object) -> User:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise AccountError(f"Not a profile field: {', '.join(sorted(unknown))}")
    if "skills" in fields:
        fields["skills"] = skills_normalize(fields["skills"])  # type: ignore[arg-type]
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=[*fields.keys()])
    return user


def skills_normalize(skills: Iterable[str] | str) -> list[str]:
    """Comma-separated text or a list -> unique, trimmed skills in their first spelling, order kept."""
    items = skills.split(",") if isinstance(skills, str) else list(skills)
    seen: set[str] = set()
    result: list[str] = []
    for item in items:
        skill = " ".join(str(item).split())[:60]
        if skill and skill.lower() not in seen:
            seen.add(skill.lower())
            result.append(skill)
    return result[:60]


def user_set_role(*, user: User, role: str) -> User:
    if role not in Role.values:
        raise AccountError(f"Unknown role {role!r}.")
    user.role = role
    user.is_staff = role == Role.ADMIN or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    return user


def cohort_create(*, owner: User, name: str, description: str = "") -> Cohort:
    if not owner.is_instructor:
        raise AccountError("Only instructors can create cohorts.")
    name = name.strip()
    if not name:
        raise AccountError("A cohort needs a name.")
    if Cohort.objects.filter(owner=owner, name__iexact=name).exists():
        raise AccountError("You already have a cohort with this name.")
    return Cohort.objects.create(owner=owner, name=name[:150], description=description.strip())


@transaction.atomic
def cohort_join(*, user: User, invite_code: str) -> CohortMembership:
    cohort = Cohort.objects.filter(invite_code=invite_code.strip(), is_active=True).first()
    if cohort is None:
        raise AccountError("That invite code is not valid.")
    if cohort.owner_id == user.pk:
        raise AccountError("You own this cohort.")
    existing = CohortMembership.objects.filter(cohort=cohort, user=user, left_at__isnull=True).first()
    if existing:
        return existing
    return CohortMembership.objects.create(cohort=cohort, user=user)


def cohort_remove_member(*, cohort: Cohort, user: User) -> None:
    CohortMembership.objects.filter(cohort=cohort, user=user, left_at__isnull=True).update(left_at=timezone.now())


def cohort_rotate_invite(*, cohort: Cohort) -> Cohort:
    from accounts.models import new_invite_code

    cohort.invite_code = new_invite_code()
    cohort.save(update_fields=["invite_code"])
    return cohort


# --- Instructors: assignments and a user's data (issue 9) ------------------------------------------------------


def cohort_require_manager(*, cohort: Cohort, user: User) -> None:
    if not (user.is_admin or cohort.owner_id == user.pk):
        raise AccountError("Only the cohort's instructor can do this.")


def user_data_delete(*, user: User) -> dict[str, int]:
    """Delete everything `user` produced (every app's registered part: interviews with their answers and audio,
    mastery, study plans, resume indexes; then resumes and their files, job descriptions, cohort memberships, API
    tokens); keep the account itself.

    Files are removed only after the rows are gone for good (on commit), so a rolled-back delete loses nothing.
    Returns how many rows of each kind went.
    """
    from django.core.files.storage import default_storage
    from rest_framework.authtoken.models import Token

    from accounts.user_data import user_data_parts

    counts: dict[str, int] = {}
    with transaction.atomic():
        for part in user_data_parts():
            deleted = part.delete(user)
            counts |= deleted.counts
            if deleted.after_commit is not None:
                transaction.on_commit(deleted.after_commit)
        resume_files = [r.file.name for r in Resume.objects.filter(user=user).only("pk", "file") if r.file]
        for label, queryset in (
            ("resumes", Resume.objects.filter(user=user)),
            ("job_descriptions", JobDescription.objects.filter(user=user)),
            ("memberships", CohortMembership.objects.filter(user=user)),
            ("tokens", Token.objects.filter(user=user)),
        ):
            counts[label] = queryset.count()
            queryset.delete()

        def files_delete() -> None:
            for name in resume_files:
                default_storage.delete(name)

        transaction.on_commit(files_delete)
    return counts
