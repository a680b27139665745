from django.urls import path

from sessions import views, views_report

app_name = "interviews"

urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.interview_new, name="new"),
    path("<int:session_id>/", views.room, name="room"),
    path("<int:session_id>/state", views.session_state, name="state"),
    path("<int:session_id>/questions/<int:question_id>/skip/", views.question_skip, name="skip"),
    path("<int:session_id>/questions/<int:question_id>/answer/", views.typed_answer, name="typed_answer"),
    path("<int:session_id>/finish/", views.interview_finish, name="finish"),
    path("<int:session_id>/abandon/", views.interview_abandon, name="abandon"),
    path("<int:session_id>/pause/", views.interview_pause, name="pause"),
    path("answers/<int:answer_id>/", views.answer_detail, name="answer"),
    path("answers/<int:answer_id>/status", views.answer_status, name="answer_status"),
    path("answers/<int:answer_id>/retry/", views.answer_retry, name="answer_retry"),
    path("<int:session_id>/report/", views_report.report, name="report"),
    path("<int:session_id>/report/status", views_report.report_status, name="report_status"),
    path("<int:session_id>/report.pdf", views_report.report_pdf, name="report_pdf"),
]
