from django.urls import path

import interviewprep.converters  # noqa: F401 - registers the <id:...> converter used below
from rag import views

app_name = "rag"
urlpatterns = [
    path("tutor/", views.tutor, name="tutor"),
    path("resumes/upload/", views.resume_upload, name="resume_upload"),
    path("resumes/<id:resume_id>/status", views.resume_status, name="resume_status"),
    path("resumes/<id:resume_id>/delete", views.resume_delete, name="resume_delete"),
    path("jobs/new/", views.job_create, name="job_create"),
    path("jobs/<id:job_id>/fit/", views.job_fit, name="job_fit"),
]
