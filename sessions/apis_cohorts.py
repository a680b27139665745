"""REST API for cohorts and their assignments (/api/v1/cohorts/...), with the pages' permissions: cohort endpoints
need the instructor role (403 otherwise) and someone else's cohort, member or interview is a 404; joining by invite
code is open to everyone signed in. Interfaces over accounts.services (cohorts, memberships), sessions.cohorts
(the scoped reads) and sessions.services (assignments)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.apis import account_refused
from accounts.models import Cohort, CohortMembership
from interviewprep.permissions import IsInstructor
from sessions import cohorts
from sessions import services as interview_services
from sessions.apis import InterviewDetailSerializer, ReportSerializer
from sessions.models import Assignment, InterviewMode, Report

# --- cohorts (instructors) --------------------------------------------------------------------------------------


class CohortSerializer(serializers.ModelSerializer):
    owner = serializers.EmailField(source="owner.email", read_only=True)
    member_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Cohort
        fields = ["id", "name", "description", "owner", "invite_code", "is_active", "member_count", "created_at"]
        read_only_fields = ["id", "owner", "invite_code", "is_active", "member_count", "created_at"]


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.display_name")
    active = serializers.BooleanField()
    joined_at = serializers.DateTimeField(source="membership.joined_at")
    left_at = serializers.DateTimeField(source="membership.left_at", allow_null=True)
    interviews = serializers.IntegerField()
    completed = serializers.IntegerField()
    answers = serializers.IntegerField()
    last_practised = serializers.DateTimeField(allow_null=True)
    practised_recently = serializers.BooleanField()
    avg_content = serializers.FloatField(allow_null=True)
    avg_delivery = serializers.FloatField(allow_null=True)
    progress = serializers.ListField(child=inline_serializer("ProgressPoint", {
        "session_id": serializers.IntegerField(), "date": serializers.DateTimeField(),
        "content": serializers.FloatField(allow_null=True), "delivery": serializers.FloatField(allow_null=True),
        "answered": serializers.IntegerField()}))


class AveragesSerializer(serializers.Serializer):
    content = serializers.FloatField(allow_null=True)
    delivery = serializers.FloatField(allow_null=True)
    pace_wpm = serializers.FloatField(allow_null=True)
    answers = serializers.IntegerField(help_text="answered questions (the latest scored attempt of each)")


class WeakSubtopicSerializer(serializers.Serializer):
    subtopic_id = serializers.IntegerField(source="question__subtopic_id")
    subtopic = serializers.CharField(source="question__subtopic__name")
    topic = serializers.CharField(source="question__topic__name")
    avg_content = serializers.FloatField()
    answers = serializers.IntegerField()
    members = serializers.IntegerField()


class AssignmentSerializer(serializers.ModelSerializer):
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "title", "mode", "topics", "difficulty", "question_count", "due_at", "created_at"]
        read_only_fields = fields


class AssignmentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    mode = serializers.ChoiceField(choices=InterviewMode.choices, default=InterviewMode.TECHNICAL)
    topics = serializers.ListField(child=serializers.SlugField(max_length=60), default=list, max_length=50)
    difficulty = serializers.IntegerField(min_value=0, max_value=3, default=0)
    question_count = serializers.IntegerField(min_value=1, max_value=20, default=5)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class AssignmentProgressSerializer(serializers.Serializer):
    assignment = AssignmentSerializer()
    member_count = serializers.IntegerField()
    done = serializers.ListField(child=serializers.EmailField())
    overdue = serializers.ListField(child=serializers.EmailField())
    past_due = serializers.BooleanField()

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        return {"assignment": AssignmentSerializer(instance["assignment"]).data,
                "member_count": instance["member_count"], "past_due": instance["past_due"],
                "done": [u.email for u in instance["done"]], "overdue": [u.email for u in instance["overdue"]]}


class CohortDashboardSerializer(serializers.Serializer):
    cohort = CohortSerializer()
    averages = AveragesSerializer()
    weakest = WeakSubtopicSerializer(many=True)
    members = MemberSerializer(many=True)
    former_members = MemberSerializer(many=True)
    assignments = AssignmentProgressSerializer(many=True)


class CohortListApi(generics.ListCreateAPIView):
    """The cohorts you run (admins: all); POST creates one."""

    serializer_class = CohortSerializer
    permission_classes = [IsInstructor]

    def get_queryset(self) -> Any:
        return cohorts.cohorts_for_viewer(viewer=self.request.user)

    def perform_create(self, serializer: CohortSerializer) -> None:
        try:
            serializer.instance = services.cohort_create(owner=self.request.user, **serializer.validated_data)
        except services.AccountError as exc:
            raise account_refused(exc) from exc


class CohortDetailApi(generics.GenericAPIView):
    """The cohort dashboard: averages, weakest subtopics, members with progress over time, assignments."""

    serializer_class = CohortDashboardSerializer
    permission_classes = [IsInstructor]

    def get(self, request: Request, pk: int) -> Response:
        cohort = cohorts.cohort_for_viewer(viewer=request.user, cohort_id=pk)
        return Response(CohortDashboardSerializer(cohorts.cohort_dashboard(cohort=cohort)).data)


class CohortRotateInviteApi(generics.GenericAPIView):
    """A new invite code; the old one stops working."""

    serializer_class = CohortSerializer
    permission_classes = [IsInstructor]

    @extend_schema(request=None, responses=CohortSerializer)
    def post(self, request: Request, pk: int) -> Response:
        cohort = cohorts.cohort_for_viewer(viewer=request.user, cohort_id=pk)
        return Response(CohortSerializer(services.cohort_rotate_invite(cohort=cohort)).data)


class JoinSerializer(serializers.Serializer):
    invite_code = serializers.CharField(max_length=32)


class MembershipSerializer(serializers.ModelSerializer):
    cohort = serializers.CharField(source="cohort.name")

    class Meta:
        model = CohortMembership
        fields = ["id", "cohort", "joined_at", "left_at"]


class CohortJoinApi(generics.GenericAPIView):
    """Join a cohort with its invite code (idempotent while you are a member)."""

    serializer_class = MembershipSerializer

    @extend_schema(request=JoinSerializer, responses={201: MembershipSerializer})
    def post(self, request: Request) -> Response:
        incoming = JoinSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            membership = services.cohort_join(user=request.user, invite_code=incoming.validated_data["invite_code"])
        except services.AccountError as exc:
            raise account_refused(exc) from exc
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberInterviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mode = serializers.CharField()
    status = serializers.CharField()
    assignment = serializers.IntegerField(source="assignment_id", allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    # The interview's figures (pipeline/figures.py), the same the candidate's history shows.
    answered = serializers.IntegerField(source="figures.answered")
    questions = serializers.IntegerField(source="figures.questions")
    avg_content = serializers.FloatField(source="figures.content", allow_null=True)
    avg_delivery = serializers.FloatField(source="figures.delivery", allow_null=True)
    pace_wpm = serializers.FloatField(source="figures.pace_wpm", allow_null=True)


class MemberProgressSerializer(serializers.Serializer):
    averages = AveragesSerializer()
    weakest = WeakSubtopicSerializer(many=True)
    sessions = MemberInterviewSerializer(many=True)


class CohortMemberApi(generics.GenericAPIView):
    """GET: one member's interviews while in the cohort, averages and weakest subtopics. DELETE: remove them
    (what they did while a member stays visible)."""

    serializer_class = MemberProgressSerializer
    permission_classes = [IsInstructor]

    def get(self, request: Request, pk: int, user_id: int) -> Response:
        _cohort, _member, memberships = cohorts.member_for_viewer(viewer=request.user, cohort_id=pk,
                                                                  user_id=user_id)
        return Response(MemberProgressSerializer(cohorts.member_progress(memberships=memberships)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        cohort, member, memberships = cohorts.member_for_viewer(viewer=request.user, cohort_id=pk, user_id=user_id)
        if not any(m.is_active for m in memberships):
            raise Http404("Not a current member.")
        services.cohort_remove_member(cohort=cohort, user=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberReportSerializer(serializers.Serializer):
    interview = InterviewDetailSerializer()
    report = ReportSerializer(allow_null=True)


class MemberReportApi(generics.GenericAPIView):
    """A member's interview, read-only: its questions and answers, and its report when there is one."""

    serializer_class = MemberReportSerializer
    permission_classes = [IsInstructor]

    def get(self, request: Request, pk: int, user_id: int, session_id: int) -> Response:
        session = cohorts.session_for_viewer(viewer=request.user, cohort_id=pk, user_id=user_id,
                                             session_id=session_id)
        report = Report.objects.filter(session=session).first()
        return Response(MemberReportSerializer({"interview": session, "report": report}).data)


class AssignmentListApi(generics.ListCreateAPIView):
    """The cohort's assignments; POST assigns a practice set to every member."""

    serializer_class = AssignmentSerializer
    permission_classes = [IsInstructor]

    def get_queryset(self) -> Any:
        cohort = cohorts.cohort_for_viewer(viewer=self.request.user, cohort_id=self.kwargs["pk"])
        return Assignment.objects.filter(cohort=cohort).prefetch_related("topics").order_by("due_at", "-created_at")

    @extend_schema(request=AssignmentCreateSerializer, responses={201: AssignmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        cohort = cohorts.cohort_for_viewer(viewer=request.user, cohort_id=pk)
        incoming = AssignmentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            assignment = interview_services.assignment_create(
                cohort=cohort, created_by=request.user, title=data["title"], mode=data["mode"],
                topic_slugs=data["topics"], difficulty=data["difficulty"], question_count=data["question_count"],
                due_at=data["due_at"])
        except services.AccountError as exc:
            raise account_refused(exc) from exc
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentDetailApi(generics.RetrieveDestroyAPIView):
    serializer_class = AssignmentSerializer
    permission_classes = [IsInstructor]

    def get_object(self) -> Assignment:
        return cohorts.assignment_for_viewer(viewer=self.request.user, cohort_id=self.kwargs["pk"],
                                             assignment_id=self.kwargs["assignment_id"])

    def perform_destroy(self, instance: Assignment) -> None:
        interview_services.assignment_delete(assignment=instance, user=self.request.user)
