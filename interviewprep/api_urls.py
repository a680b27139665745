"""/api/v1/: the REST API. Session or token authentication (POST auth/token/ for a token), page-number pagination,
throttling and the pages' permissions; the OpenAPI schema is at /api/schema/ and its docs at /api/docs/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

import interviewprep.converters  # noqa: F401 - registers the <id:...> converter used below
from accounts import apis as account_apis
from mastery import apis as mastery_apis
from rag import apis as rag_apis
from rag import apis_resumes as resume_apis
from sessions import apis as session_apis
from sessions import apis_cohorts as cohort_apis

router = SimpleRouter()
router.register("bank/questions", rag_apis.BankQuestionViewSet, basename="bank-question")

app_name = "api"
urlpatterns = [
    path("auth/token/", account_apis.TokenApi.as_view(), name="token"),
    path("me/", account_apis.MeApi.as_view(), name="me"),
    path("resumes/", resume_apis.ResumeListApi.as_view(), name="resumes"),
    path("resumes/<id:pk>/", resume_apis.ResumeDetailApi.as_view(), name="resume"),
    path("interviews/", session_apis.InterviewListCreateApi.as_view(), name="interviews"),
    path("interviews/<id:pk>/", session_apis.InterviewDetailApi.as_view(), name="interview"),
    path("interviews/<id:pk>/report/", session_apis.InterviewReportApi.as_view(), name="interview-report"),
    path("interviews/<id:pk>/finish/", session_apis.InterviewFinishApi.as_view(), name="interview-finish"),
    path("interviews/<id:pk>/questions/<id:question_id>/answers/", session_apis.TypedAnswerApi.as_view(),
         name="typed-answer"),
    path("answers/", session_apis.AnswerListApi.as_view(), name="answers"),
    path("answers/<id:pk>/", session_apis.AnswerDetailApi.as_view(), name="answer"),
    path("answers/<id:pk>/audio", session_apis.AnswerAudioApi.as_view(), name="answer-audio"),
    path("assignments/", session_apis.MemberAssignmentListApi.as_view(), name="my-assignments"),
    path("assignments/<id:pk>/start/", session_apis.MemberAssignmentStartApi.as_view(), name="assignment-start"),
    path("topics/", mastery_apis.TopicListApi.as_view(), name="topics"),
    path("mastery/", mastery_apis.MasteryApi.as_view(), name="mastery"),
    path("study-plan/", mastery_apis.StudyPlanApi.as_view(), name="study-plan"),
    path("study-plan/items/<id:pk>/done/", mastery_apis.StudyPlanItemDoneApi.as_view(), name="study-item-done"),
    path("cohorts/", cohort_apis.CohortListApi.as_view(), name="cohorts"),
    path("cohorts/join/", cohort_apis.CohortJoinApi.as_view(), name="cohort-join"),
    path("cohorts/<id:pk>/", cohort_apis.CohortDetailApi.as_view(), name="cohort"),
    path("cohorts/<id:pk>/invite/rotate/", cohort_apis.CohortRotateInviteApi.as_view(), name="cohort-rotate"),
    path("cohorts/<id:pk>/members/<id:user_id>/", cohort_apis.CohortMemberApi.as_view(), name="cohort-member"),
    path("cohorts/<id:pk>/members/<id:user_id>/interviews/<id:session_id>/",
         cohort_apis.MemberReportApi.as_view(), name="cohort-member-interview"),
    path("cohorts/<id:pk>/assignments/", cohort_apis.AssignmentListApi.as_view(), name="cohort-assignments"),
    path("cohorts/<id:pk>/assignments/<id:assignment_id>/", cohort_apis.AssignmentDetailApi.as_view(),
         name="cohort-assignment"),
    path("", include(router.urls)),
]
