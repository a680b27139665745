from __future__ import annotations

from django import forms

from mastery.models import Topic
from sessions.models import InterviewMode, Persona

DIFFICULTY_CHOICES = [(0, "Adaptive (starts mid-level)"), (1, "Junior"), (2, "Mid-level"), (3, "Senior")]


class NewInterviewForm(forms.Form):
    mode = forms.ChoiceField(choices=InterviewMode.choices, initial=InterviewMode.TECHNICAL,
                             widget=forms.RadioSelect)
    topics = forms.ModelMultipleChoiceField(queryset=Topic.objects.none(), required=False, to_field_name="slug",
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text="None selected: every topic of the mode. Technical interviews "
                                                      "ask technical topics only, behavioral ones behavioral and "
                                                      "career topics; mixed and resume-based ask both.")
    difficulty = forms.TypedChoiceField(choices=DIFFICULTY_CHOICES, coerce=int, initial=0)
    count = forms.IntegerField(min_value=1, max_value=20, initial=5, label="Questions")
    persona = forms.ChoiceField(choices=Persona.choices, label="Interviewer")
    resume = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Resume")
    job_description = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Target job")
    hands_free = forms.BooleanField(required=False, label="Hands-free",
                                    help_text="The interviewer reads each question and listens; a pause after you "
                                              "finish ends the answer and the next question follows, no clicks.")

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["topics"].queryset = Topic.objects.exclude(kind="delivery").order_by("kind", "name")
        self.fields["topics"].label_from_instance = lambda t: f"{t.name} ({t.kind})"
        self.fields["persona"].initial = Persona.preferred_by(user)
        resumes = [(r.pk, r.original_name) for r in user.resumes.filter(status="ready")]  # type: ignore[attr-defined]
        jobs = [(j.pk, str(j)) for j in user.job_descriptions.all()]  # type: ignore[attr-defined]
        self.fields["resume"].choices = [("", "None"), *resumes]
        self.fields["job_description"].choices = [("", "None"), *jobs]
        if resumes:
            self.fields["resume"].initial = resumes[0][0]
        if jobs:
            self.fields["job_description"].initial = jobs[0][0]


class TypedAnswerForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=10000, label="Your answer")
