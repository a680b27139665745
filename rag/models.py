"""The question bank: what the candidate should say. Loaded from rag/bank/*.json, editable in the admin."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class BankQuestion(models.Model):
    # The bank's own stable id ("databases-014"): never derived from the row id, never reused.
    ext_id = models.CharField(max_length=60, unique=True)
    topic = models.ForeignKey("mastery.Topic", on_delete=models.PROTECT, related_name="bank_questions")
    subtopic = models.ForeignKey("mastery.Subtopic", on_delete=models.PROTECT, related_name="bank_questions")
    difficulty = models.PositiveSmallIntegerField(default=2)
    text = models.TextField()
    reference_answer = models.TextField()
    key_points = models.JSONField(default=list)
    hint = models.TextField(blank=True)
    follow_ups = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # [{"key_point": i, "claim", "correction", "why"}]: common wrong claims, each against the key point it violates.
    misconceptions = models.JSONField(default=list, blank=True)
    # One question per key point that asks for the point without stating it (follow-ups use these).
    probes = models.JSONField(default=list, blank=True)
    # The bank id of the question this one was merged into; such a question is inactive (kept for history).
    duplicate_of = models.CharField(max_length=60, blank=True, default="")
    is_active = models.BooleanField(default=True)
    # Hash of the fields the FAISS index embeds: the index is rebuilt when any of them changes.
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ext_id"]
        constraints = [
            models.CheckConstraint(condition=Q(difficulty__gte=1) & Q(difficulty__lte=3), name="bank_difficulty_1_3"),
        ]
        indexes = [models.Index(fields=["topic", "subtopic", "difficulty"])]

    def __str__(self) -> str:
        return f"{self.ext_id}: {self.text[:60]}"
