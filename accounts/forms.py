from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import Persona, Seniority, User


class SignupForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text="At least 8 characters, not entirely numeric, not a common password.")
    password2 = forms.CharField(label="Repeat the password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=data.get("email") or "",
                                                               full_name=data.get("full_name") or ""))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True,
                                                                            "autocomplete": "email"}))


class ProfileForm(forms.ModelForm):
    skills = forms.CharField(required=False, help_text="Comma-separated, e.g. Python, SQL, Kubernetes",
                             widget=forms.TextInput())
    persona = forms.ChoiceField(choices=Persona.choices, label="Interviewer persona")

    class Meta:
        model = User
        fields = ["full_name", "target_role", "seniority", "years_experience", "skills", "persona",
                  "speak_questions", "show_avatar"]
        labels = {"speak_questions": "Read questions aloud", "show_avatar": "Show the interviewer avatar",
                  "years_experience": "Years of experience"}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["seniority"].choices = [("", "—"), *Seniority.choices]
        if self.instance and isinstance(self.instance.skills, list):
            self.initial["skills"] = ", ".join(self.instance.skills)

    def clean_years_experience(self) -> int | None:
        value = self.cleaned_data.get("years_experience")
        if value is not None and value > 60:
            raise forms.ValidationError("That is more than 60 years.")
        return value


class ResumeUploadForm(forms.Form):
    file = forms.FileField(label="Resume (PDF, DOCX or TXT, at most 5 MB)",
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.txt"}))


class JobDescriptionForm(forms.Form):
    title = forms.CharField(max_length=200, label="Job title")
    company = forms.CharField(max_length=200, required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), label="Job description",
                           max_length=20000)


class JoinCohortForm(forms.Form):
    invite_code = forms.CharField(max_length=32, label="Invite code")


class DataDeleteForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               label="Your password, to confirm")
    confirm = forms.BooleanField(label="I understand that my interviews, answers, recordings, resumes, mastery and "
                                       "study plans are deleted for good")
    delete_account = forms.BooleanField(required=False, label="Also delete my account")

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):  # type: ignore[attr-defined]
            raise forms.ValidationError("That is not your password.")
        return password
