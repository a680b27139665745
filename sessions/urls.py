from django.urls import path

import interviewprep.converters  # noqa: F401 - registers the <id:...> converter used below
from sessions import views, views_report

app_name = "interviews"

urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.interview_new, name="new"),
    path("from-job/<id:job_id>/", views.interview_from_job, name="from_job"),
    path("<id:session_id>/", views.room, name="room"),
    path("<id:session_id>/state", views.session_state, name="state"),
    path("<id:session_id>/questions/<id:question_id>/skip/", views.question_skip, name="skip"),
    path("<id:session_id>/questions/<id:question_id>/answer/", views.typed_answer, name="typed_answer"),
    path("<id:session_id>/finish/", views.interview_finish, name="finish"),
    path("<id:session_id>/abandon/", views.interview_abandon, name="abandon"),
    path("<id:session_id>/pause/", views.interview_pause, name="pause"),
    path("answers/<id:answer_id>/", views.answer_detail, name="answer"),
    path("answers/<id:answer_id>/status", views.answer_status, name="answer_status"),
    path("answers/<id:answer_id>/retry/", views.answer_retry, name="answer_retry"),
    path("<id:session_id>/report/", views_report.report, name="report"),
    path("<id:session_id>/report/status", views_report.report_status, name="report_status"),
    path("<id:session_id>/report.pdf", views_report.report_pdf, name="report_pdf"),
    path("<id:session_id>/report/share/", views_report.report_share_create, name="report_share"),
    path("<id:session_id>/report/share/<id:link_id>/revoke/", views_report.report_share_revoke,
         name="report_share_revoke"),
    # A mentor's read-only view: no login; the signed token is the only key (sessions/selectors.share_token).
    path("shared/<str:token>/", views_report.report_shared, name="report_shared"),
    path("shared/<str:token>/report.pdf", views_report.report_shared_pdf, name="report_shared_pdf"),
]
