from django.urls import path

from sessions.views import history

app_name = "mastery"
urlpatterns = [path("", history, name="overview"), path("plan/", history, name="plan")]
