"""Mastery's part of a user's data export and delete (registered with accounts/user_data.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.user_data import UserDataDeleted, UserDataPart
from mastery.models import MasteryEvent, StudyPlan, SubtopicMastery, TopicMastery


def mastery_export(user: User) -> dict[str, Any]:
    plans = []
    for plan in StudyPlan.objects.filter(user=user).prefetch_related("items").order_by("created_at"):
        plans.append({"id": plan.pk, "created_at": plan.created_at, "is_current": plan.is_current,
                      "summary": plan.summary, "engine": plan.engine,
                      "items": [{"kind": i.kind, "title": i.title, "detail": i.detail, "target": i.target,
                                 "subtopic_id": i.subtopic_id, "priority": i.priority, "due_date": i.due_date,
                                 "done_at": i.done_at} for i in plan.items.all()]})
    return {
        "subtopic_mastery": list(SubtopicMastery.objects.filter(user=user).values(
            "subtopic__topic__slug", "subtopic__slug", "rating", "variance", "evidence_count", "last_score",
            "last_practiced_at", "interval_days", "next_review_at")),
        "topic_mastery": list(TopicMastery.objects.filter(user=user).values(
            "topic__slug", "rating", "variance", "evidence_count")),
        "mastery_events": list(MasteryEvent.objects.filter(user=user).values(
            "subtopic__topic__slug", "subtopic__slug", "answer_id", "score", "difficulty", "rating_before",
            "rating_after", "created_at")),
        "study_plans": plans,
    }


def mastery_delete(user: User) -> UserDataDeleted:
    counts = {}
    for label, queryset in (("mastery_events", MasteryEvent.objects.filter(user=user)),
                            ("subtopic_mastery", SubtopicMastery.objects.filter(user=user)),
                            ("topic_mastery", TopicMastery.objects.filter(user=user)),
                            ("study_plans", StudyPlan.objects.filter(user=user))):
        counts[label] = queryset.count()
        queryset.delete()
    return UserDataDeleted(counts=counts)


PART = UserDataPart(app="mastery", order=20, export=mastery_export, delete=mastery_delete)
