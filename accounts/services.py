"""Writes for accounts: users and their profiles, job descriptions, cohorts and memberships."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.models import Cohort, CohortMembership, JobDescription, Resume, Role, User

if TYPE_CHECKING:
    from sessions.models import Assignment


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


def job_description_create(*, user: User, title: str, text: str, company: str = "") -> JobDescription:
    from rag.jobfit import job_description_parse

    text = text.strip()
    if len(text) < 40:
        raise AccountError("Paste the whole job description (at least a few sentences).")
    if len(text) > 20000:
        raise AccountError("That job description is too long (20,000 characters at most).")
    return JobDescription.objects.create(user=user, title=title.strip()[:200] or "Target job",
                                         company=company.strip()[:200], text=text,
                                         parsed=job_description_parse(text=text))


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


def _require_cohort_manager(*, cohort: Cohort, user: User) -> None:
    if not (user.is_admin or cohort.owner_id == user.pk):
        raise AccountError("Only the cohort's instructor can do this.")


def assignment_create(*, cohort: Cohort, created_by: User, title: str = "", mode: str = "technical",
                      topic_slugs: Iterable[str] = (), difficulty: int = 0, question_count: int = 5,
                      due_at: datetime | None = None) -> Assignment:
    """A practice set for every member of `cohort`; members see it on their dashboard and start it in one click.

    Validated with the same bounds `interview_start` applies, so an assignment can always be started.
    """
    from mastery.models import Topic
    from sessions.models import Assignment, InterviewMode

    _require_cohort_manager(cohort=cohort, user=created_by)
    if not cohort.is_active:
        raise AccountError("This cohort is archived.")
    if mode not in InterviewMode.values:
        raise AccountError(f"Unknown interview mode {mode!r}.")
    if not 0 <= difficulty <= 3:
        raise AccountError("Difficulty is 0 (mixed) or 1 to 3.")
    if not 1 <= question_count <= 20:
        raise AccountError("An assignment has 1 to 20 questions.")
    if due_at is not None and due_at < timezone.now():
        raise AccountError("The due date is in the past.")
    slugs = set(topic_slugs)
    topics = list(Topic.objects.filter(slug__in=slugs).exclude(kind="delivery"))
    if len(topics) != len(slugs):
        raise AccountError("Unknown topic.")
    title = " ".join(title.split())[:200] or f"{InterviewMode(mode).label} practice"
    assignment = Assignment.objects.create(cohort=cohort, created_by=created_by, title=title, mode=mode,
                                           difficulty=difficulty, question_count=question_count, due_at=due_at)
    assignment.topics.set(topics)
    return assignment


def assignment_delete(*, assignment: Assignment, user: User) -> None:
    # Interviews already started from it keep existing: their FK is SET_NULL.
    _require_cohort_manager(cohort=assignment.cohort, user=user)
    assignment.delete()


def user_data_delete(*, user: User) -> dict[str, int]:
    """Delete everything `user` produced (interviews with their answers and audio, resumes and their files, job
    descriptions, mastery, study plans, cohort memberships, API tokens); keep the account itself.

    Files are removed only after the rows are gone for good (on commit), so a rolled-back delete loses nothing.
    Returns how many rows of each kind went.
    """
    from rest_framework.authtoken.models import Token

    from mastery.models import MasteryEvent, StudyPlan, SubtopicMastery, TopicMastery
    from sessions.models import Answer, InterviewSession

    audio_paths = [a.audio_path for a in Answer.objects.filter(user=user).only("audio_name")]
    resumes = list(Resume.objects.filter(user=user).only("pk", "file"))
    resume_files = [r.file.name for r in resumes if r.file]
    resume_ids = [r.pk for r in resumes]
    counts: dict[str, int] = {}
    with transaction.atomic():
        for label, queryset in (
            ("answers", Answer.objects.filter(user=user)),
            ("interviews", InterviewSession.objects.filter(owner=user)),
            ("resumes", Resume.objects.filter(user=user)),
            ("job_descriptions", JobDescription.objects.filter(user=user)),
            ("mastery_events", MasteryEvent.objects.filter(user=user)),
            ("subtopic_mastery", SubtopicMastery.objects.filter(user=user)),
            ("topic_mastery", TopicMastery.objects.filter(user=user)),
            ("study_plans", StudyPlan.objects.filter(user=user)),
            ("memberships", CohortMembership.objects.filter(user=user)),
            ("tokens", Token.objects.filter(user=user)),
        ):
            counts[label] = queryset.count()
            queryset.delete()
        transaction.on_commit(lambda: _files_delete(audio_paths=audio_paths, storage_names=resume_files,
                                                    user_id=user.pk, resume_ids=resume_ids))
    return counts


def _files_delete(*, audio_paths: list[Path], storage_names: list[str], user_id: int, resume_ids: list[int]) -> None:
    from django.core.files.storage import default_storage

    from rag.index import resume_index_delete

    for path in audio_paths:
        path.unlink(missing_ok=True)
    for name in storage_names:
        default_storage.delete(name)
    for resume_id in resume_ids:  # the per-user FAISS indexes of the resumes
        resume_index_delete(user_id=user_id, resume_id=resume_id)
