"""Account pages: signup, login, logout, profile. Thin: parse, authorize, call one service, answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import EmailAuthenticationForm, JobDescriptionForm, ProfileForm, ResumeUploadForm, SignupForm
from interviewprep.ratelimit import rate_limited


@require_http_methods(["GET", "POST"])
@rate_limited("signup")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(email=form.cleaned_data["email"], password=form.cleaned_data["password1"],
                                        full_name=form.cleaned_data["full_name"])
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Tell us what you are preparing for, then start an interview.")
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


@method_decorator(rate_limited("login"), name="dispatch")
class LoginView(auth_views.LoginView):
    authentication_form = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@method_decorator(rate_limited("password_reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = "/accounts/password/reset/done/"


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    context = {
        "form": form,
        "resume_form": ResumeUploadForm(),
        "job_form": JobDescriptionForm(),
        "resumes": selectors.resumes_for_user(user=request.user),
        "job_descriptions": selectors.job_descriptions_for_user(user=request.user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def data(request: HttpRequest) -> HttpResponse:
    """Your data: download all of it, delete all of it (optionally the account too), after the password."""
    from django.contrib.auth import logout

    from accounts.forms import DataDeleteForm

    form = DataDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        counts = services.user_data_delete(user=request.user)
        if form.cleaned_data["delete_account"]:
            user = request.user
            logout(request)
            user.delete()
            messages.success(request, "Your account and all its data were deleted.")
            return redirect("landing")
        removed = sum(counts.values())
        messages.success(request, f"All your data was deleted ({removed} records); your account remains.")
        return redirect("accounts:data")
    return render(request, "accounts/data.html", {"form": form})


@login_required
def data_export_archive(request: HttpRequest) -> HttpResponse:
    """The export with the recordings, as one ZIP. Built in memory and sent whole: its size is bounded by the
    user's storage quota, and a file-streaming response would be read into a list under ASGI anyway (with a
    warning), since Django serves sync iterators there that way."""
    import io

    buffer = io.BytesIO()
    selectors.user_data_archive(user=request.user, target=buffer)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="interview-prep-data.zip"'
    return response


@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    body = json.dumps(selectors.user_data_export(user=request.user), cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="interview-prep-data.json"'
    return response
