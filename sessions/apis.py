"""REST API for interviews and answers (/api/v1/interviews/, /api/v1/answers/, /api/v1/assignments/).

Interfaces only, over the same services and ownership-scoped selectors as the pages: an interview is created by
`interview_start`, a typed answer by `answer_submit_text`; another user's interview or answer is a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from interviewprep.converters import ID_SCHEMA, parse_id
from interviewprep.media import ranged_response
from interviewprep.permissions import ServiceRefused
from interviewprep.ratelimit import FormRateThrottle
from sessions import selectors, services
from sessions.models import Answer, InterviewMode, InterviewSession, Persona, Report, SessionQuestion

# InterviewError codes that mean "not now" (the interview's state) rather than "bad input".
CONFLICT_CODES = {"session_closed", "answer_in_progress", "conflict"}


def _refused(exc: services.InterviewError) -> ServiceRefused:
    return ServiceRefused(str(exc), code=exc.code, status=409 if exc.code in CONFLICT_CODES else 400)


class AnswerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = ["id", "attempt", "input_mode", "status", "content_score", "delivery_score"]


class QuestionSerializer(serializers.ModelSerializer):
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    subtopic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    answers = AnswerBriefSerializer(many=True, read_only=True)

    class Meta:
        model = SessionQuestion
        fields = ["id", "position", "text", "topic", "subtopic", "difficulty", "source", "parent", "hint",
                  "rationale", "status", "asked_at", "answers"]


class FiguresSerializer(serializers.Serializer):
    """The interview's figures as every page shows them (pipeline/figures.py defines each one)."""

    questions = serializers.IntegerField(help_text="questions shown, follow-ups included")
    answered = serializers.IntegerField(help_text="questions with a scored answer (latest attempt counts)")
    skipped = serializers.IntegerField()
    follow_ups = serializers.IntegerField()
    content = serializers.FloatField(allow_null=True)
    delivery = serializers.FloatField(allow_null=True)
    structure = serializers.FloatField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    pace_wpm = serializers.FloatField(allow_null=True, help_text="mean words per minute, first word to last")


class InterviewSerializer(serializers.ModelSerializer):
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    report_status = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField()

    class Meta:
        model = InterviewSession
        fields = ["id", "mode", "status", "difficulty", "planned_count", "persona", "topics", "assignment",
                  "question_engine", "hands_free", "created_at", "started_at", "finished_at", "report_status",
                  "figures"]

    def get_report_status(self, obj: InterviewSession) -> str | None:
        report = getattr(obj, "report", None)
        return report.status if report is not None else None

    @extend_schema_field(FiguresSerializer)
    def get_figures(self, obj: InterviewSession) -> dict[str, Any]:
        # A list page has them attached in one batch (sessions_with_figures); a single interview reads its own.
        figures = getattr(obj, "figures", None) or selectors.session_figures(session=obj)
        return FiguresSerializer(figures).data


class InterviewDetailSerializer(InterviewSerializer):
    questions = serializers.SerializerMethodField()

    class Meta(InterviewSerializer.Meta):
        fields = [*InterviewSerializer.Meta.fields, "resume", "job_description", "questions"]

    @extend_schema(responses=QuestionSerializer(many=True))
    def get_questions(self, obj: InterviewSession) -> list[dict[str, Any]]:
        return QuestionSerializer(selectors.session_questions_with_answers(session=obj), many=True).data


class InterviewCreateSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=InterviewMode.choices, default=InterviewMode.TECHNICAL)
    topics = serializers.ListField(child=serializers.SlugField(max_length=60), default=list, max_length=50,
                                   help_text="Topic slugs; empty: every topic of the mode.")
    difficulty = serializers.IntegerField(min_value=0, max_value=3, default=0,
                                          help_text="0 = adaptive (starts at 2, follows the answers), 1-3 fixed")
    count = serializers.IntegerField(min_value=1, max_value=20, default=5)
    persona = serializers.ChoiceField(choices=Persona.choices, required=False)
    resume = serializers.IntegerField(required=False, allow_null=True, help_text="id of one of your resumes")
    job_description = serializers.IntegerField(required=False, allow_null=True)
    assignment = serializers.IntegerField(required=False, allow_null=True,
                                          help_text="id of an assignment of one of your cohorts")
    hands_free = serializers.BooleanField(
        default=False, help_text="the interviewer reads each question and the server ends each answer after a "
                                 "silence following speech (`answer.ended` with reason `silence`, docs/protocol.md)")


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["status", "progress", "content_score", "delivery_score", "confidence_score", "engine", "built_at",
                  "error", "data"]


class AnswerSerializer(serializers.ModelSerializer):
    session = serializers.IntegerField(source="question.session_id", read_only=True)
    audio_url = serializers.SerializerMethodField(
        help_text="the recording, for replay (range requests supported); null for typed answers, answers still "
                  "being recorded or scored, and audio past its retention")

    class Meta:
        model = Answer
        fields = ["id", "session", "question", "attempt", "input_mode", "status", "progress", "error",
                  "started_at", "ended_at", "duration_s", "speaking_time_s", "transcript", "transcript_engine",
                  "transcript_confidence", "content_score", "similarity", "key_points_covered", "key_points_missed",
                  "feedback", "feedback_engine", "delivery_score", "structure_score", "delivery", "signal",
                  "scored_at", "audio_url"]
        read_only_fields = fields

    def get_audio_url(self, obj: Answer) -> str | None:
        if not selectors.answer_has_replay(obj):
            return None
        url = reverse("api:answer-audio", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class TypedAnswerSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000, help_text="The answer, typed (no microphone).")


class InterviewListCreateApi(generics.ListCreateAPIView):
    """Your interviews, newest first; POST starts one (its questions are chosen at once)."""

    serializer_class = InterviewSerializer
    throttle_scope = "interview_create"

    def get_throttles(self) -> list[Any]:
        extra = [FormRateThrottle()] if self.request.method == "POST" else []
        return [*super().get_throttles(), *extra]

    def get_queryset(self) -> Any:
        return selectors.sessions_for_user(user=self.request.user)

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.sessions_with_figures(page)

    @extend_schema(request=InterviewCreateSerializer, responses={201: InterviewDetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = InterviewCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        spec = services.InterviewSpec(
            mode=data["mode"], topic_slugs=tuple(data["topics"]), difficulty=data["difficulty"], count=data["count"],
            persona=data.get("persona") or Persona.preferred_by(request.user), resume_id=data.get("resume"),
            job_description_id=data.get("job_description"), assignment_id=data.get("assignment"),
            hands_free=data["hands_free"],
        )
        try:
            session = services.interview_start(user=request.user, spec=spec)
        except services.InterviewError as exc:
            raise _refused(exc) from exc
        return Response(InterviewDetailSerializer(session).data, status=status.HTTP_201_CREATED)


class InterviewDetailApi(generics.RetrieveAPIView):
    """One of your interviews with its questions and the attempts at each."""

    serializer_class = InterviewDetailSerializer

    def get_object(self) -> InterviewSession:
        return selectors.session_for_owner(user=self.request.user, session_id=self.kwargs["pk"])


class InterviewReportApi(generics.GenericAPIView):
    """The interview's report; 409 while the interview is not finished."""

    serializer_class = ReportSerializer

    def get(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_owner(user=request.user, session_id=pk)
        report = Report.objects.filter(session=session).first()
        if report is None:
            raise ServiceRefused("No report yet: finish the interview first.", code="not_finished", status=409)
        return Response(ReportSerializer(report).data)


class InterviewFinishApi(generics.GenericAPIView):
    """End the interview; the report is built in the background (poll the report endpoint)."""

    serializer_class = InterviewSerializer

    @extend_schema(request=None, responses=InterviewSerializer)
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_owner(user=request.user, session_id=pk)
        try:
            session = services.interview_finish(session=session)
        except services.InterviewError as exc:
            raise _refused(exc) from exc
        return Response(InterviewSerializer(session).data)


class TypedAnswerApi(generics.GenericAPIView):
    """Answer a question of your interview by typing; scoring and feedback follow in the background."""

    serializer_class = AnswerSerializer

    @extend_schema(request=TypedAnswerSerializer, responses={201: AnswerSerializer})
    def post(self, request: Request, pk: int, question_id: int) -> Response:
        question = selectors.question_for_owner(user=request.user, session_id=pk, question_id=question_id)
        incoming = TypedAnswerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            answer = services.answer_submit_text(question=question, user=request.user,
                                                 text=incoming.validated_data["text"])
        except services.InterviewError as exc:
            raise _refused(exc) from exc
        return Response(AnswerSerializer(answer).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[OpenApiParameter("session", ID_SCHEMA, description="only the answers of this interview")])
class AnswerListApi(generics.ListAPIView):
    """Your answers (the question history), newest first."""

    serializer_class = AnswerSerializer

    def get_queryset(self) -> Any:
        queryset = (Answer.objects.filter(user=self.request.user).select_related("question")
                    .order_by("-started_at", "-pk"))
        session = self.request.query_params.get("session", "")
        if session:
            session_id = parse_id(session)
            if session_id is None:
                raise ServiceRefused("`session` is an interview id (a positive 64-bit integer).", code="bad_session")
            queryset = queryset.filter(question__session_id=session_id)
        return queryset


class AnswerDetailApi(generics.RetrieveAPIView):
    serializer_class = AnswerSerializer

    def get_object(self) -> Answer:
        return selectors.answer_for_owner(user=self.request.user, answer_id=self.kwargs["pk"])


class _AnyContent(DefaultContentNegotiation):
    """The audio is what it is: a player's `Accept: audio/*` must not get 406 from the API's JSON renderers.
    Parsers stay negotiated as usual, so a forged form POST meets the CSRF check (403), not a parse error."""

    def select_renderer(self, request: Request, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


@extend_schema(
    parameters=[OpenApiParameter("Range", str, OpenApiParameter.HEADER, required=False,
                                 description="one byte range, e.g. `bytes=0-1023`, `bytes=1024-` or `bytes=-500`")],
    responses={(code, media): OpenApiResponse(OpenApiTypes.BINARY, description=text)
               for code, text in ((200, "the whole recording"), (206, "the requested range (`Content-Range`)"))
               for media in ("audio/webm", "audio/wav")}
    | {416: OpenApiResponse(description="The range cannot be satisfied; `Content-Range: bytes */<size>`.")})
class AnswerAudioApi(APIView):
    """The recording of an answer, for replay: Opus in WebM (or WAV when compressing it failed). Honours `Range`
    (206 with `Content-Range`; 416 when unsatisfiable). Its owner may play it, and an instructor when the answer's
    interview is in their cohort's scope (sessions/cohorts.py); for anyone else it does not exist (404). The answer
    page's player uses this same URL."""

    content_negotiation_class = _AnyContent

    def get(self, request: Request, pk: int) -> HttpResponse:
        from sessions.cohorts import answer_for_viewer

        answer = answer_for_viewer(viewer=request.user, answer_id=pk)
        replay = selectors.answer_replay_source(answer=answer)
        if replay is None:
            raise Http404("This answer has no recording.")
        source, content_type, filename = replay
        return ranged_response(request, source, content_type=content_type, filename=filename)


class MemberAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="assignment.pk")
    title = serializers.CharField(source="assignment.title")
    cohort = serializers.CharField(source="assignment.cohort.name")
    mode = serializers.CharField(source="assignment.mode")
    topics = serializers.SerializerMethodField()
    difficulty = serializers.IntegerField(source="assignment.difficulty")
    question_count = serializers.IntegerField(source="assignment.question_count")
    due_at = serializers.DateTimeField(source="assignment.due_at", allow_null=True)
    done = serializers.BooleanField()
    overdue = serializers.BooleanField()

    def get_topics(self, obj: dict[str, Any]) -> list[str]:
        return [t.slug for t in obj["assignment"].topics.all()]


class MemberAssignmentListApi(generics.GenericAPIView):
    """The assignments of your cohorts, as your dashboard shows them."""

    serializer_class = MemberAssignmentSerializer
    pagination_class = None

    @extend_schema(responses=MemberAssignmentSerializer(many=True))
    def get(self, request: Request) -> Response:
        from sessions.dashboard import assignments_for_member

        return Response(MemberAssignmentSerializer(assignments_for_member(user=request.user), many=True).data)


class MemberAssignmentStartApi(generics.GenericAPIView):
    """Start the assignment's interview in one call (the dashboard's one click)."""

    serializer_class = InterviewDetailSerializer
    throttle_scope = "interview_create"

    def get_throttles(self) -> list[Any]:
        return [*super().get_throttles(), FormRateThrottle()]

    @extend_schema(request=None, responses={201: InterviewDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        from django.http import Http404

        from sessions.cohorts import assignment_spec
        from sessions.dashboard import assignment_for_member

        assignment = assignment_for_member(user=request.user, assignment_id=pk)
        if assignment is None:
            raise Http404("No such assignment.")
        try:
            session = services.interview_start(user=request.user,
                                               spec=assignment_spec(assignment=assignment, user=request.user))
        except services.InterviewError as exc:
            raise _refused(exc) from exc
        return Response(InterviewDetailSerializer(session).data, status=status.HTTP_201_CREATED)
