from django.urls import path

import interviewprep.converters  # noqa: F401 - registers the <id:...> converter used below
from mastery import views

app_name = "mastery"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("plan/", views.plan, name="plan"),
    path("plan/refresh/", views.plan_refresh, name="plan_refresh"),
    path("plan/items/<id:item_id>/done/", views.item_done, name="item_done"),
    path("progress/", views.progress, name="progress"),
    path("reset/", views.reset, name="reset"),
    path("reset/<slug:topic_slug>/", views.reset, name="reset_topic"),
]
