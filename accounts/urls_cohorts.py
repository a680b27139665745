from django.urls import path

from sessions.views import history

app_name = "cohorts"
urlpatterns = [path("", history, name="list")]
