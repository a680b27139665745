from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from interviewprep import health
from sessions import views as session_views

urlpatterns = [
    path("", session_views.landing, name="landing"),
    path("dashboard/", session_views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("cohorts/", include("accounts.urls_cohorts")),
    path("interviews/", include("sessions.urls")),
    path("mastery/", include("mastery.urls")),
    path("", include("rag.urls")),
    path("api/v1/", include("interviewprep.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler404 = "interviewprep.errors.not_found"
handler403 = "interviewprep.errors.forbidden"
handler500 = "interviewprep.errors.server_error"
