"""Interview sessions, the questions asked in them, the answers (the question history) and reports.

A question belongs to its session by foreign key and an answer to its question: nothing is ever matched by time.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Persona  # the user's preferred interviewer is a profile field
from pipeline.records import InputMode  # the pipeline's contract; sessions.models.InputMode stays importable


class InterviewMode(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    BEHAVIORAL = "behavioral", "Behavioral"
    RESUME = "resume", "Resume-based"
    MIXED = "mixed", "Mixed"


class Assignment(models.Model):
    """A practice set an instructor assigns to a cohort; members start it in one click."""

    cohort = models.ForeignKey("accounts.Cohort", on_delete=models.CASCADE, related_name="assignments")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=200)
    mode = models.CharField(max_length=12, choices=InterviewMode.choices, default=InterviewMode.TECHNICAL)
    topics = models.ManyToManyField("mastery.Topic", blank=True, related_name="assignments")
    difficulty = models.PositiveSmallIntegerField(default=0, help_text="0 = mixed, 1-3")
    question_count = models.PositiveSmallIntegerField(default=5)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(difficulty__lte=3), name="assignment_difficulty_range"),
            models.CheckConstraint(
                condition=Q(question_count__gte=1) & Q(question_count__lte=20), name="assignment_count_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.cohort})"


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "In progress"
    PAUSED = "paused", "Paused (resume later)"
    COMPLETED = "completed", "Completed"
    ABANDONED = "abandoned", "Abandoned"


class InterviewSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interviews")
    mode = models.CharField(max_length=12, choices=InterviewMode.choices, default=InterviewMode.TECHNICAL)
    topics = models.ManyToManyField("mastery.Topic", blank=True, related_name="sessions")
    difficulty = models.PositiveSmallIntegerField(default=0, help_text="0 = mixed, 1-3")
    planned_count = models.PositiveSmallIntegerField(default=5)
    persona = models.CharField(max_length=12, choices=Persona.choices, default=Persona.FRIENDLY)
    status = models.CharField(max_length=12, choices=SessionStatus.choices, default=SessionStatus.ACTIVE)
    resume = models.ForeignKey("accounts.Resume", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    job_description = models.ForeignKey("accounts.JobDescription", on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="sessions")
    question_engine = models.CharField(max_length=20, default="bank", help_text="bank | gemini")
    hands_free = models.BooleanField(
        default=False, help_text="the interviewer reads each question, the server ends answers on silence and the "
                                 "next question follows without clicks")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"]), models.Index(fields=["owner", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(difficulty__lte=3), name="session_difficulty_range"),
            models.CheckConstraint(
                condition=Q(planned_count__gte=1) & Q(planned_count__lte=20), name="session_count_range"
            ),
            models.CheckConstraint(
                condition=(Q(finished_at__isnull=True) | Q(started_at__isnull=True)
                           | Q(finished_at__gte=models.F("started_at"))),
                name="session_finished_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"Interview {self.pk} ({self.get_mode_display()}, {self.owner})"

    @property
    def is_open(self) -> bool:
        return self.status in (SessionStatus.ACTIVE, SessionStatus.PAUSED)


class QuestionSource(models.TextChoices):
    BANK = "bank", "Question bank"
    GENERATED = "generated", "Generated"
    FOLLOW_UP = "follow_up", "Follow-up"
    RESUME = "resume", "From the resume"


class QuestionStatus(models.TextChoices):
    PENDING = "pending", "Not asked yet"
    ASKED = "asked", "Asked"
    ANSWERED = "answered", "Answered"
    SKIPPED = "skipped", "Skipped"


class SessionQuestion(models.Model):
    """A question asked in a session, with its own copy of what a good answer covers (bank rows may change)."""

    session = models.ForeignKey(InterviewSession, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    topic = models.ForeignKey("mastery.Topic", on_delete=models.PROTECT, related_name="+")
    subtopic = models.ForeignKey("mastery.Subtopic", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    difficulty = models.PositiveSmallIntegerField(default=2)
    source = models.CharField(max_length=12, choices=QuestionSource.choices, default=QuestionSource.BANK)
    bank_question = models.ForeignKey("rag.BankQuestion", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="asked")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups")
    reference_answer = models.TextField(blank=True)
    key_points = models.JSONField(default=list, blank=True)
    hint = models.TextField(blank=True)
    rationale = models.CharField(max_length=300, blank=True, help_text="why this question was chosen")
    status = models.CharField(max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.PENDING)
    asked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="question_unique_position"),
            models.CheckConstraint(condition=Q(difficulty__gte=1) & Q(difficulty__lte=3), name="question_difficulty"),
            models.CheckConstraint(
                condition=~Q(source="follow_up") | Q(parent__isnull=False), name="follow_up_has_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.position}: {self.text[:60]}"


class AnswerStatus(models.TextChoices):
    RECORDING = "recording", "Recording"
    PROCESSING = "processing", "Processing"
    SCORED = "scored", "Scored"
    FAILED = "failed", "Failed"


def new_audio_name() -> str:
    return secrets.token_hex(16)


class Answer(models.Model):
    """One attempt at one question: the question history. Re-answers are new rows with a higher attempt."""

    question = models.ForeignKey(SessionQuestion, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers")
    attempt = models.PositiveSmallIntegerField(default=1)
    input_mode = models.CharField(max_length=8, choices=InputMode.choices, default=InputMode.VOICE)
    status = models.CharField(max_length=12, choices=AnswerStatus.choices, default=AnswerStatus.RECORDING)
    progress = models.CharField(max_length=40, blank=True, help_text="the pipeline step under way")
    error = models.CharField(max_length=300, blank=True)
    # Audio: a raw PCM16 LE 16 kHz mono file under MEDIA_ROOT/audio/, appended to as frames arrive; after
    # transcription it is compressed for replay (audio/codec.py) and the PCM removed once the copy is verified.
    # `audio_bytes` stays the recorded PCM size; `audio_compressed_bytes` is set once the compressed copy exists.
    audio_name = models.CharField(max_length=64, default=new_audio_name, unique=True, editable=False)
    audio_bytes = models.PositiveBigIntegerField(default=0)
    audio_compressed_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    audio_deleted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    speaking_time_s = models.FloatField(null=True, blank=True)
    # Signal stream: flat aggregates, the pause list and a bounded contour for charts.
    signal = models.JSONField(default=dict, blank=True)
    contour = models.JSONField(default=dict, blank=True)
    # Semantic stream.
    live_engine = models.CharField(max_length=20, blank=True, help_text="engine that captioned live")
    transcript = models.TextField(blank=True)
    words = models.JSONField(default=list, blank=True)
    transcript_engine = models.CharField(max_length=20, blank=True)
    transcript_confidence = models.FloatField(null=True, blank=True)
    delivery = models.JSONField(default=dict, blank=True, help_text="wpm, fillers, aligned pauses")
    content_score = models.FloatField(null=True, blank=True)
    similarity = models.FloatField(null=True, blank=True)
    key_points_covered = models.JSONField(default=list, blank=True)
    key_points_missed = models.JSONField(default=list, blank=True)
    # Judgement (rag/grading.py): [{point, sentence, correction, why, confidence}] for points the answer got wrong,
    # the share of the answer that addresses the question (0..1), and [{code, message, severity, sentence}].
    key_points_contradicted = models.JSONField(default=list, blank=True)
    relevance = models.FloatField(null=True, blank=True)
    red_flags = models.JSONField(default=list, blank=True)
    feedback = models.JSONField(default=dict, blank=True)
    feedback_engine = models.CharField(max_length=20, blank=True)
    delivery_score = models.FloatField(null=True, blank=True)
    structure_score = models.FloatField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    mastery_applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["question", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["question", "attempt"], name="answer_unique_attempt"),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="answer_attempt_positive"),
            models.CheckConstraint(
                condition=Q(content_score__isnull=True) | (Q(content_score__gte=0) & Q(content_score__lte=100)),
                name="answer_content_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-started_at"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk} to {self.question_id} (attempt {self.attempt})"

    @property
    def audio_path(self):  # noqa: ANN201 - pathlib.Path
        return settings.MEDIA_ROOT / "audio" / f"{self.audio_name}.pcm"

    @property
    def replay_path(self):  # noqa: ANN201 - pathlib.Path
        """The compressed copy for replay (Opus in WebM, written by audio.services.answer_audio_compress)."""
        return settings.MEDIA_ROOT / "audio" / f"{self.audio_name}.webm"

    @property
    def stored_audio_path(self):  # noqa: ANN201 - pathlib.Path
        """Whichever audio file is on disk: the raw PCM until it is compressed, then the compressed copy."""
        return self.audio_path if self.audio_path.exists() else self.replay_path


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Report(models.Model):
    session = models.OneToOneField(InterviewSession, on_delete=models.CASCADE, related_name="report")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(default=dict, blank=True)
    engine = models.CharField(max_length=20, blank=True)
    content_score = models.FloatField(null=True, blank=True)
    delivery_score = models.FloatField(null=True, blank=True)
    confidence_score = models.FloatField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_le_100")]

    def __str__(self) -> str:
        return f"Report for {self.session}"


def _share_nonce() -> str:
    return secrets.token_urlsafe(24)


class ReportShareLink(models.Model):
    """A read-only link to one interview's report for a mentor (no login). The URL carries a signed token naming
    this row; the row is what makes it expire and lets the candidate revoke it (sessions/sharing.py)."""

    session = models.ForeignKey(InterviewSession, on_delete=models.CASCADE, related_name="share_links")
    # Unguessable and unique: the signed token names the row by it, so a leaked id alone opens nothing.
    nonce = models.CharField(max_length=40, unique=True, default=_share_nonce)
    note = models.CharField(max_length=80, blank=True, help_text="Who the link is for, as the candidate wrote it.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Share link {self.pk} for {self.session}"
