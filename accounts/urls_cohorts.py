from django.urls import path

from accounts import views_cohorts as views

app_name = "cohorts"
urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("join/", views.join, name="join"),
    path("join/<str:invite_code>/", views.join, name="join_link"),
    path("assignments/<int:assignment_id>/start/", views.assignment_start, name="assignment_start"),
    path("<int:cohort_id>/", views.cohort_detail, name="detail"),
    path("<int:cohort_id>/invite/rotate/", views.cohort_rotate_invite, name="rotate_invite"),
    path("<int:cohort_id>/assignments/new/", views.assignment_new, name="assignment_new"),
    path("<int:cohort_id>/assignments/<int:assignment_id>/delete/", views.assignment_delete,
         name="assignment_delete"),
    path("<int:cohort_id>/members/<int:user_id>/", views.member_detail, name="member"),
    path("<int:cohort_id>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<int:cohort_id>/members/<int:user_id>/interviews/<int:session_id>/", views.member_report,
         name="member_report"),
]
