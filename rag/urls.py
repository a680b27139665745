from django.urls import path

from sessions.views import history

app_name = "rag"
urlpatterns = [
    path("tutor/", history, name="tutor"),
    path("resumes/upload/", history, name="resume_upload"),
    path("resumes/<int:resume_id>/status", history, name="resume_status"),
    path("resumes/<int:resume_id>/delete", history, name="resume_delete"),
    path("jobs/new/", history, name="job_create"),
    path("jobs/<int:job_id>/fit/", history, name="job_fit"),
]
