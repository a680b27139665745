from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from interviewprep import health
from interviewprep.ratelimit import rate_limited
from sessions import views as session_views

# The admin's login is a login like any other: the same limit and the same counter as /accounts/login/.
admin.site.login = rate_limited("login")(admin.site.login)  # type: ignore[method-assign]
# The admin says whose it is (Django's default reads "Django administration").
admin.site.site_header = "Interview Prep administration"
admin.site.site_title = "Interview Prep admin"
admin.site.index_title = "Users, cohorts, the question bank and interviews"

urlpatterns = [
    path("", session_views.landing, name="landing"),
    path("dashboard/", session_views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/status", health.status_page, name="status"),
    path("accounts/", include("accounts.urls")),
    path("cohorts/", include("sessions.urls_cohorts")),
    path("interviews/", include("sessions.urls")),
    path("mastery/", include("mastery.urls")),
    path("", include("rag.urls")),
    path("api/v1/", include("interviewprep.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script from a URL of its own: the CSP refuses inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler404 = "interviewprep.errors.not_found"
handler403 = "interviewprep.errors.forbidden"
handler500 = "interviewprep.errors.server_error"
