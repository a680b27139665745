"""People and what belongs to them: users with roles, resumes, job descriptions, cohorts."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token


class Persona(models.TextChoices):
    """The interviewer's manner: a profile preference, and each interview's own setting (sessions)."""

    FRIENDLY = "friendly", "Friendly mentor"
    NEUTRAL = "neutral", "Neutral professional"
    DEMANDING = "demanding", "Demanding senior engineer"

    @classmethod
    def preferred_by(cls, user: object) -> str:
        """The user's saved persona, or friendly when none is saved or the saved value is not a persona (rows
        from before the profile validated it must not block creating interviews)."""
        saved = getattr(user, "persona", "")
        return saved if saved in cls.values else cls.FRIENDLY


class Role(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    INSTRUCTOR = "instructor", "Instructor"
    ADMIN = "admin", "Admin"


class Seniority(models.TextChoices):
    INTERN = "intern", "Intern"
    JUNIOR = "junior", "Junior"
    MID = "mid", "Mid-level"
    SENIOR = "senior", "Senior"
    LEAD = "lead", "Lead / staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Login by email is case-insensitive: addresses are stored lower-cased.
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CANDIDATE, db_index=True)
    target_role = models.CharField(max_length=150, blank=True, help_text="The job the candidate is preparing for.")
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    skills = models.JSONField(default=list, blank=True)
    # Interview-room preferences.
    persona = models.CharField(max_length=20, default="friendly", blank=True)
    speak_questions = models.BooleanField(default=True)
    show_avatar = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(
                condition=Q(years_experience__isnull=True) | Q(years_experience__lte=60), name="user_years_sane"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = (self.email or "").strip().lower()
        # set_password() leaves the new raw password in _password until the save; a hash upgrade at login clears it
        # first. Every path that changes a password (form, reset, API, admin, changepassword) ends here, so this is
        # the one place that revokes the API tokens made with the old one.
        password_changed = self.pk is not None and self._password is not None
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if password_changed:
            Token.objects.filter(user=self).delete()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def is_candidate(self) -> bool:
        return self.role == Role.CANDIDATE

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR or self.is_admin

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def resume_upload_to(instance: Resume, filename: str) -> str:
    # Never trust the client's file name in a path: a random name, the checked extension.
    return f"resumes/{instance.user_id}/{secrets.token_hex(12)}.{instance.file_type}"


class Resume(models.Model):
    class FileType(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word (DOCX)"
        TXT = "txt", "Plain text"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resumes")
    file = models.FileField(upload_to=resume_upload_to, blank=True)
    original_name = models.CharField(max_length=255)
    file_type = models.CharField(max_length=8, choices=FileType.choices)
    size_bytes = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    parsed = models.JSONField(default=dict, blank=True, help_text="sections, skills, projects, experience")
    status = models.CharField(max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="The resume used for new interviews.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="resume_progress_le_100"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.user})"


class JobDescription(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_descriptions")
    title = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    parsed = models.JSONField(default=dict, blank=True, help_text="required and nice-to-have skills")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.title} @ {self.company}" if self.company else self.title


def new_invite_code() -> str:
    return secrets.token_urlsafe(8)


class Cohort(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_cohorts")
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    invite_code = models.CharField(max_length=32, unique=True, default=new_invite_code)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="cohort_unique_name_per_owner")]

    def __str__(self) -> str:
        return self.name


class CohortMembership(models.Model):
    """A candidate's time in a cohort. Instructors see only what a member produced between joined_at and left_at."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cohort", "joined_at"]
        constraints = [
            # One open membership per (cohort, user); past memberships stay for the record.
            models.UniqueConstraint(
                fields=["cohort", "user"], condition=Q(left_at__isnull=True), name="membership_one_open"
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="membership_left_after_joined",
            ),
        ]
        indexes = [models.Index(fields=["user", "left_at"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None
