"""REST API for accounts: tokens, the caller's profile, resumes, and cohorts with their assignments.

Interfaces over accounts.services (writes) and accounts.cohorts / accounts.selectors (reads), with the pages'
permissions: cohort endpoints need the instructor role (403 otherwise) and someone else's cohort, member or
interview is a 404; joining by invite code is open to everyone signed in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import cohorts, selectors, services
from accounts.models import Cohort, CohortMembership, Resume, User
from interviewprep.permissions import FormRateThrottle, IsInstructor, ServiceRefused
from sessions.apis import InterviewDetailSerializer, ReportSerializer
from sessions.models import Assignment, InterviewMode, Report


def _refused(exc: services.AccountError) -> ServiceRefused:
    return ServiceRefused(str(exc), code="refused", status=400)


# --- tokens and the caller ---------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenApi(generics.GenericAPIView):
    """POST your email and password for an API token (send it as `Authorization: Token <key>`); DELETE revokes it.

    Limited like the login page (settings.RATE_LIMITS["login"]).
    """

    serializer_class = TokenSerializer
    throttle_scope = "login"

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_throttles(self) -> list[Any]:
        extra = [FormRateThrottle()] if self.request.method == "POST" else []
        return [*super().get_throttles(), *extra]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        incoming = TokenRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user = authenticate(request._request, username=incoming.validated_data["email"],
                            password=incoming.validated_data["password"])
        if user is None or not user.is_active:
            raise ServiceRefused("Wrong email or password.", code="bad_credentials", status=400)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "target_role", "seniority", "years_experience", "skills",
                  "persona", "speak_questions", "show_avatar", "date_joined"]
        read_only_fields = ["id", "email", "role", "date_joined"]


class MeApi(generics.RetrieveUpdateAPIView):
    """Your profile; PATCH edits it through the same service as the profile page."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        return self.request.user

    def perform_update(self, serializer: MeSerializer) -> None:
        try:
            services.user_update_profile(user=self.request.user, **serializer.validated_data)
        except services.AccountError as exc:
            raise _refused(exc) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc


# --- resumes --------------------------------------------------------------------------------------------------


class ResumeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resume
        fields = ["id", "original_name", "file_type", "size_bytes", "status", "progress", "error", "chunk_count",
                  "is_active", "parsed", "created_at"]
        read_only_fields = fields


class ResumeUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, DOCX or TXT, at most 5 MB; the type is checked by content.")


class ResumeListApi(generics.ListCreateAPIView):
    """Your resumes, newest first; POST (multipart) uploads one, checked like the profile page's upload."""

    serializer_class = ResumeSerializer
    throttle_scope = "upload"

    def get_throttles(self) -> list[Any]:
        extra = [FormRateThrottle()] if self.request.method == "POST" else []
        return [*super().get_throttles(), *extra]

    def get_queryset(self) -> Any:
        return selectors.resumes_for_user(user=self.request.user)

    @extend_schema(request={"multipart/form-data": ResumeUploadSerializer}, responses={201: ResumeSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from rag.resumes import MAX_UPLOAD_BYTES, ResumeError
        from rag.services import resume_upload

        incoming = ResumeUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        upload = incoming.validated_data["file"]
        try:
            # One byte past the limit is enough for the service to refuse an oversize file.
            resume = resume_upload(user=request.user, name=upload.name, data=upload.read(MAX_UPLOAD_BYTES + 1))
        except ResumeError as exc:
            raise ServiceRefused(str(exc), code="bad_resume") from exc
        return Response(ResumeSerializer(resume).data, status=status.HTTP_201_CREATED)


class ResumeDetailApi(generics.RetrieveDestroyAPIView):
    serializer_class = ResumeSerializer

    def get_object(self) -> Resume:
        resume = selectors.resumes_for_user(user=self.request.user).filter(pk=self.kwargs["pk"]).first()
        if resume is None:
            raise Http404("No such resume.")
        return resume

    def perform_destroy(self, instance: Resume) -> None:
        from rag.services import resume_delete

        resume_delete(resume=instance)


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
    answers = serializers.IntegerField()


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
            raise _refused(exc) from exc


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
            raise _refused(exc) from exc
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberInterviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mode = serializers.CharField()
    status = serializers.CharField()
    assignment = serializers.IntegerField(source="assignment_id", allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    answered = serializers.IntegerField()
    avg_content = serializers.FloatField(allow_null=True)
    avg_delivery = serializers.FloatField(allow_null=True)


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
            assignment = services.assignment_create(
                cohort=cohort, created_by=request.user, title=data["title"], mode=data["mode"],
                topic_slugs=data["topics"], difficulty=data["difficulty"], question_count=data["question_count"],
                due_at=data["due_at"])
        except services.AccountError as exc:
            raise _refused(exc) from exc
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentDetailApi(generics.RetrieveDestroyAPIView):
    serializer_class = AssignmentSerializer
    permission_classes = [IsInstructor]

    def get_object(self) -> Assignment:
        return cohorts.assignment_for_viewer(viewer=self.request.user, cohort_id=self.kwargs["pk"],
                                             assignment_id=self.kwargs["assignment_id"])

    def perform_destroy(self, instance: Assignment) -> None:
        services.assignment_delete(assignment=instance, user=self.request.user)
