"""REST API for topics, the caller's mastery and study plan (/api/v1/topics/, /mastery/, /study-plan/).

Reads go through mastery.selectors (the caller's own rows, the same numbers the mastery pages show); marking a plan
item done goes through mastery.services.study_item_mark_done.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from mastery import selectors, services
from mastery.models import StudyPlan, StudyPlanItem, Subtopic, Topic

# --- serializers ------------------------------------------------------------------------------------------


class SubtopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subtopic
        fields = ["slug", "name", "description"]


class TopicSerializer(serializers.ModelSerializer):
    subtopics = SubtopicSerializer(many=True, read_only=True)

    class Meta:
        model = Topic
        fields = ["slug", "name", "kind", "description", "subtopics"]


class BandFields(serializers.Serializer):
    percent = serializers.IntegerField(help_text="expected score (0-100) on a mid-level question, decayed to now")
    low = serializers.IntegerField(help_text="80% credible band, low end")
    high = serializers.IntegerField(help_text="80% credible band, high end")
    evidence_count = serializers.IntegerField()
    weak = serializers.BooleanField()


class SubtopicMasterySerializer(BandFields):
    slug = serializers.CharField(source="subtopic.slug")
    name = serializers.CharField(source="subtopic.name")
    last_score = serializers.IntegerField(allow_null=True)
    next_review_at = serializers.DateTimeField(allow_null=True)
    due = serializers.BooleanField()
    trend = serializers.ListField(child=serializers.IntegerField(), help_text="mastery percent after each update")


class TopicMasterySerializer(BandFields):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    subtopics = SubtopicMasterySerializer(many=True)


class StudyPlanItemSerializer(serializers.ModelSerializer):
    subtopic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    done = serializers.BooleanField(read_only=True)

    class Meta:
        model = StudyPlanItem
        fields = ["id", "kind", "subtopic", "title", "detail", "target", "question_count", "priority", "position",
                  "due_date", "done", "done_at"]
        read_only_fields = fields


class StudyPlanSerializer(serializers.ModelSerializer):
    items = StudyPlanItemSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = StudyPlan
        fields = ["id", "created_at", "summary", "engine", "source_session", "progress", "items"]

    @extend_schema_field(inline_serializer("PlanProgress", {"done": serializers.IntegerField(),
                                                            "total": serializers.IntegerField(),
                                                            "percent": serializers.IntegerField()}))
    def get_progress(self, obj: StudyPlan) -> dict[str, int]:
        return selectors.plan_progress(plan=obj)


class ItemDoneSerializer(serializers.Serializer):
    done = serializers.BooleanField(default=True)


# --- endpoints --------------------------------------------------------------------------------------------


class TopicListApi(generics.ListAPIView):
    """Topics and their subtopics (slugs are what interviews and assignments take)."""

    serializer_class = TopicSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Topic]:
        return Topic.objects.prefetch_related(Prefetch("subtopics", queryset=Subtopic.objects.order_by("name")))


class MasteryApi(generics.GenericAPIView):
    """Your mastery per topic, with its subtopics; topics you have not practised are absent."""

    serializer_class = TopicMasterySerializer
    pagination_class = None

    @extend_schema(responses=TopicMasterySerializer(many=True))
    def get(self, request: Request) -> Response:
        overview = selectors.mastery_overview(user=request.user)
        data = [{**vars(group["topic"]), "subtopics": group["subtopics"]} for group in overview["groups"]]
        return Response(TopicMasterySerializer(data, many=True).data)


class StudyPlanApi(generics.GenericAPIView):
    """Your current study plan; 404 before your first interview has written one."""

    serializer_class = StudyPlanSerializer

    def get(self, request: Request) -> Response:
        plan = selectors.current_plan(user=request.user)
        if plan is None:
            raise Http404("No study plan yet.")
        return Response(StudyPlanSerializer(plan).data)


class StudyPlanItemDoneApi(generics.GenericAPIView):
    """Mark one item of your plan done (or, with done=false, not done again)."""

    serializer_class = StudyPlanItemSerializer

    @extend_schema(request=ItemDoneSerializer, responses=StudyPlanItemSerializer)
    def post(self, request: Request, pk: int) -> Response:
        item = selectors.study_item_for_owner(user=request.user, item_id=pk)
        incoming = ItemDoneSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        item = services.study_item_mark_done(item=item, done=incoming.validated_data["done"])
        return Response(StudyPlanItemSerializer(item).data)
