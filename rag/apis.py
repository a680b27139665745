"""REST API for the question bank (/api/v1/bank/questions/): read for everyone signed in, write for admins.

The same rules as the admin and the loader: stable `ext_id`, a subtopic of the question's topic, difficulty 1-3,
key points as a list of strings. Writes go through rag.services.bank_question_save, which keeps the
content hash true and refreshes the index after the commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from interviewprep.permissions import ReadAnyWriteAdmin
from mastery.models import Subtopic, Topic
from rag.models import BankQuestion
from rag.services import bank_index_refresh, bank_question_save


def _strings(value: Any, *, field: str, low: int, high: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise serializers.ValidationError(f"{field} is a list of non-empty strings.")
    if not low <= len(value) <= high:
        raise serializers.ValidationError(f"{field} has {low} to {high} entries.")
    return [" ".join(v.split()) for v in value]


class BankQuestionSerializer(serializers.ModelSerializer):
    topic = serializers.SlugRelatedField(slug_field="slug", queryset=Topic.objects.all())
    subtopic = serializers.CharField(source="subtopic.slug", help_text="slug of a subtopic of `topic`")
    key_points = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=8)
    follow_ups = serializers.ListField(child=serializers.CharField(), required=False, max_length=10)
    tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=20)
    difficulty = serializers.IntegerField(min_value=1, max_value=3)

    class Meta:
        model = BankQuestion
        fields = ["id", "ext_id", "topic", "subtopic", "difficulty", "text", "reference_answer", "key_points", "hint",
                  "follow_ups", "tags", "is_active", "content_hash", "updated_at"]
        read_only_fields = ["id", "content_hash", "updated_at"]

    def validate_key_points(self, value: list[str]) -> list[str]:
        return _strings(value, field="key_points", low=1, high=8)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        topic = attrs.get("topic") or getattr(self.instance, "topic", None)
        subtopic_slug = (attrs.pop("subtopic", None) or {}).get("slug")
        if subtopic_slug is not None:
            subtopic = Subtopic.objects.filter(topic=topic, slug=subtopic_slug).first()
            if subtopic is None:
                raise serializers.ValidationError({"subtopic": "No such subtopic in this topic."})
            attrs["subtopic"] = subtopic
        elif self.instance is not None and "topic" in attrs and self.instance.subtopic.topic_id != topic.pk:
            raise serializers.ValidationError({"subtopic": "A new topic needs a subtopic of that topic."})
        for name in ("text", "reference_answer"):
            if name in attrs and not attrs[name].strip():
                raise serializers.ValidationError({name: "This field may not be blank."})
        return attrs


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("topic", OpenApiTypes.STR, description="topic slug"),
    OpenApiParameter("subtopic", OpenApiTypes.STR, description="subtopic slug"),
    OpenApiParameter("difficulty", OpenApiTypes.INT, enum=[1, 2, 3]),
    OpenApiParameter("q", OpenApiTypes.STR, description="words in the question or its reference answer"),
]))
class BankQuestionViewSet(viewsets.ModelViewSet):
    """The question bank. Everyone signed in reads it; admins create, edit and delete questions."""

    serializer_class = BankQuestionSerializer
    permission_classes = [ReadAnyWriteAdmin]
    lookup_value_regex = "[0-9]{1,19}"  # ids are 64-bit: longer digit runs (or words) are a 404 before any query

    def get_queryset(self) -> QuerySet[BankQuestion]:
        queryset = BankQuestion.objects.select_related("topic", "subtopic").order_by("ext_id")
        if not getattr(self.request.user, "is_admin", False):  # retired questions are the admins' business
            queryset = queryset.filter(is_active=True)
        params = self.request.query_params
        if params.get("topic"):
            queryset = queryset.filter(topic__slug=params["topic"])
        if params.get("subtopic"):
            queryset = queryset.filter(subtopic__slug=params["subtopic"])
        if "difficulty" in params:
            if params["difficulty"] not in ("1", "2", "3"):
                raise serializers.ValidationError({"difficulty": "Difficulty is 1, 2 or 3."})
            queryset = queryset.filter(difficulty=int(params["difficulty"]))
        if params.get("q"):
            queryset = queryset.filter(Q(text__icontains=params["q"]) | Q(reference_answer__icontains=params["q"]))
        return queryset

    def perform_create(self, serializer: BankQuestionSerializer) -> None:
        serializer.instance = bank_question_save(question=BankQuestion(**serializer.validated_data))

    def perform_update(self, serializer: BankQuestionSerializer) -> None:
        question = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(question, name, value)
        serializer.instance = bank_question_save(question=question)

    def perform_destroy(self, instance: BankQuestion) -> None:
        instance.delete()
        # A retired row leaves the index at the next refresh, like an edit.
        transaction.on_commit(bank_index_refresh)
