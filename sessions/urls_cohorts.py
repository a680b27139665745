from django.urls import path

import interviewprep.converters  # noqa: F401 - registers the <id:...> converter used below
from sessions import views_cohorts as views

app_name = "cohorts"
urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("join/", views.join, name="join"),
    path("join/<str:invite_code>/", views.join, name="join_link"),
    path("assignments/<id:assignment_id>/start/", views.assignment_start, name="assignment_start"),
    path("<id:cohort_id>/", views.cohort_detail, name="detail"),
    path("<id:cohort_id>/invite/rotate/", views.cohort_rotate_invite, name="rotate_invite"),
    path("<id:cohort_id>/assignments/new/", views.assignment_new, name="assignment_new"),
    path("<id:cohort_id>/assignments/<id:assignment_id>/delete/", views.assignment_delete,
         name="assignment_delete"),
    path("<id:cohort_id>/members/<id:user_id>/", views.member_detail, name="member"),
    path("<id:cohort_id>/members/<id:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<id:cohort_id>/members/<id:user_id>/interviews/<id:session_id>/", views.member_report,
         name="member_report"),
]
