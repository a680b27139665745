"""/api/v1/: the REST API. Session or token authentication (POST auth/token/ for a token), page-number pagination,
throttling and the pages' permissions; the OpenAPI schema is at /api/schema/ and its docs at /api/docs/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from accounts import apis as account_apis
from mastery import apis as mastery_apis
from rag import apis as rag_apis
from sessions import apis as session_apis

router = SimpleRouter()
router.register("bank/questions", rag_apis.BankQuestionViewSet, basename="bank-question")

app_name = "api"
urlpatterns = [
    path("auth/token/", account_apis.TokenApi.as_view(), name="token"),
    path("me/", account_apis.MeApi.as_view(), name="me"),
    path("resumes/", account_apis.ResumeListApi.as_view(), name="resumes"),
    path("resumes/<int:pk>/", account_apis.ResumeDetailApi.as_view(), name="resume"),
    path("interviews/", session_apis.InterviewListCreateApi.as_view(), name="interviews"),
    path("interviews/<int:pk>/", session_apis.InterviewDetailApi.as_view(), name="interview"),
    path("interviews/<int:pk>/report/", session_apis.InterviewReportApi.as_view(), name="interview-report"),
    path("interviews/<int:pk>/finish/", session_apis.InterviewFinishApi.as_view(), name="interview-finish"),
    path("interviews/<int:pk>/questions/<int:question_id>/answers/", session_apis.TypedAnswerApi.as_view(),
         name="typed-answer"),
    path("answers/", session_apis.AnswerListApi.as_view(), name="answers"),
    path("answers/<int:pk>/", session_apis.AnswerDetailApi.as_view(), name="answer"),
    path("assignments/", session_apis.MemberAssignmentListApi.as_view(), name="my-assignments"),
    path("assignments/<int:pk>/start/", session_apis.MemberAssignmentStartApi.as_view(), name="assignment-start"),
    path("topics/", mastery_apis.TopicListApi.as_view(), name="topics"),
    path("mastery/", mastery_apis.MasteryApi.as_view(), name="mastery"),
    path("study-plan/", mastery_apis.StudyPlanApi.as_view(), name="study-plan"),
    path("study-plan/items/<int:pk>/done/", mastery_apis.StudyPlanItemDoneApi.as_view(), name="study-item-done"),
    path("cohorts/", account_apis.CohortListApi.as_view(), name="cohorts"),
    path("cohorts/join/", account_apis.CohortJoinApi.as_view(), name="cohort-join"),
    path("cohorts/<int:pk>/", account_apis.CohortDetailApi.as_view(), name="cohort"),
    path("cohorts/<int:pk>/invite/rotate/", account_apis.CohortRotateInviteApi.as_view(), name="cohort-rotate"),
    path("cohorts/<int:pk>/members/<int:user_id>/", account_apis.CohortMemberApi.as_view(), name="cohort-member"),
    path("cohorts/<int:pk>/members/<int:user_id>/interviews/<int:session_id>/",
         account_apis.MemberReportApi.as_view(), name="cohort-member-interview"),
    path("cohorts/<int:pk>/assignments/", account_apis.AssignmentListApi.as_view(), name="cohort-assignments"),
    path("cohorts/<int:pk>/assignments/<int:assignment_id>/", account_apis.AssignmentDetailApi.as_view(),
         name="cohort-assignment"),
    path("", include(router.urls)),
]
