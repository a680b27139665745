"""Topics and subtopics, what each candidate has mastered, when to review it, and the study plan.

Delivery skills (pace, fillers, pauses, pitch variation) are a topic of kind `delivery`, so they are tracked by
the same rule, tables and history as knowledge (see mastery/rules.py and docs/architecture.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class TopicKind(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    BEHAVIORAL = "behavioral", "Behavioral"
    DELIVERY = "delivery", "Delivery"


class Topic(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=TopicKind.choices, default=TopicKind.TECHNICAL)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Subtopic(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subtopics")
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["topic__name", "name"]
        constraints = [models.UniqueConstraint(fields=["topic", "slug"], name="subtopic_unique_slug_per_topic")]

    def __str__(self) -> str:
        return f"{self.topic.name} / {self.name}"


class SubtopicMastery(models.Model):
    """A candidate's estimated skill on one subtopic: a rating on the logit scale with its variance."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subtopic_mastery")
    subtopic = models.ForeignKey(Subtopic, on_delete=models.CASCADE, related_name="mastery")
    rating = models.FloatField(default=0.0)
    variance = models.FloatField(default=1.0)
    evidence_count = models.PositiveIntegerField(default=0)
    last_score = models.FloatField(null=True, blank=True, help_text="0-1, the last observed answer score")
    last_practiced_at = models.DateTimeField(null=True, blank=True)
    interval_days = models.FloatField(default=1.0)
    next_review_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subtopic"]
        verbose_name_plural = "subtopic masteries"
        constraints = [
            models.UniqueConstraint(fields=["user", "subtopic"], name="subtopic_mastery_unique"),
            models.CheckConstraint(condition=Q(variance__gt=0), name="subtopic_mastery_variance_pos"),
        ]
        indexes = [models.Index(fields=["user", "next_review_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.subtopic}: {self.rating:+.2f}"


class TopicMastery(models.Model):
    """Derived from the topic's subtopics (precision-weighted), stored so pages read it in one query."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_mastery")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="mastery")
    rating = models.FloatField(default=0.0)
    variance = models.FloatField(default=1.0)
    evidence_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic"]
        verbose_name_plural = "topic masteries"
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="topic_mastery_unique"),
            models.CheckConstraint(condition=Q(variance__gt=0), name="topic_mastery_variance_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.topic}: {self.rating:+.2f}"


class MasteryEvent(models.Model):
    """One update of one subtopic by one answer: the history trends are drawn from, and the idempotence key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastery_events")
    subtopic = models.ForeignKey(Subtopic, on_delete=models.CASCADE, related_name="events")
    answer = models.ForeignKey("interviews.Answer", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="mastery_events")
    score = models.FloatField(help_text="0-1, observed")
    difficulty = models.PositiveSmallIntegerField(default=2)
    rating_before = models.FloatField()
    rating_after = models.FloatField()
    variance_after = models.FloatField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # A retried task cannot apply the same answer twice to the same subtopic.
            models.UniqueConstraint(fields=["answer", "subtopic"], name="mastery_event_once_per_answer"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="mastery_event_score_unit"),
        ]
        indexes = [models.Index(fields=["user", "subtopic", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.subtopic} {self.rating_before:+.2f}->{self.rating_after:+.2f}"


class StudyPlan(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_plans")
    source_session = models.ForeignKey("interviews.InterviewSession", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="study_plans")
    is_current = models.BooleanField(default=True)
    summary = models.TextField(blank=True)
    engine = models.CharField(max_length=20, default="offline")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_current=True), name="study_plan_one_current"),
        ]

    def __str__(self) -> str:
        return f"Plan for {self.user} ({self.created_at:%Y-%m-%d})"


class StudyItemKind(models.TextChoices):
    STUDY = "study", "Study key points"
    PRACTICE = "practice", "Practise questions"
    DRILL = "drill", "Delivery drill"
    REVIEW = "review", "Spaced review"


class StudyPlanItem(models.Model):
    plan = models.ForeignKey(StudyPlan, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=StudyItemKind.choices)
    subtopic = models.ForeignKey(Subtopic, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    target = models.JSONField(default=dict, blank=True, help_text="e.g. {'metric': 'wpm', 'from': 185, 'to': 150}")
    question_count = models.PositiveSmallIntegerField(default=0)
    priority = models.PositiveSmallIntegerField(default=1, help_text="1 = most urgent")
    position = models.PositiveSmallIntegerField(default=0)
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="study_item_unique_position")]

    def __str__(self) -> str:
        return self.title

    @property
    def done(self) -> bool:
        return self.done_at is not None
