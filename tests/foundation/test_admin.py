"""Every model is in the Django admin, and every changelist, add and change page loads for a superuser."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_everything(admin, instructor, candidate):  # noqa: ANN001, ANN201
    """At least one row per registered model, so every change page has an object to open."""
    from accounts.models import Cohort, CohortMembership, JobDescription, Resume
    from mastery.models import (
        MasteryEvent,
        StudyPlan,
        StudyPlanItem,
        Subtopic,
        SubtopicMastery,
        Topic,
        TopicMastery,
    )
    from rag.models import BankQuestion
    from sessions.models import Answer, Assignment, InterviewSession, Report, ReportShareLink, SessionQuestion

    topic, _ = Topic.objects.get_or_create(slug="admin-topic", defaults={"name": "Admin topic"})
    subtopic, _ = Subtopic.objects.get_or_create(topic=topic, slug="admin-sub", defaults={"name": "Admin sub"})
    BankQuestion.objects.get_or_create(
        ext_id="admin-topic-001",
        defaults={"topic": topic, "subtopic": subtopic, "difficulty": 1, "text": "What is X?",
                  "reference_answer": "X is Y.", "key_points": ["X is Y"]})
    cohort = Cohort.objects.create(owner=instructor, name="Spring cohort")
    CohortMembership.objects.create(cohort=cohort, user=candidate)
    Resume.objects.create(user=candidate, original_name="cv.txt", file_type="txt", size_bytes=16,
                          text="Python developer")
    JobDescription.objects.create(user=candidate, title="Backend engineer", text="Django, PostgreSQL")
    assignment = Assignment.objects.create(cohort=cohort, created_by=instructor, title="Week 1")
    session = InterviewSession.objects.create(owner=candidate, assignment=assignment)
    question = SessionQuestion.objects.create(session=session, position=1, text="What is X?", topic=topic,
                                              subtopic=subtopic)
    answer = Answer.objects.create(question=question, user=candidate, transcript="X is Y.")
    Report.objects.create(session=session)
    from datetime import timedelta

    from django.utils import timezone as tz

    ReportShareLink.objects.create(session=session, note="mentor", expires_at=tz.now() + timedelta(days=14))
    SubtopicMastery.objects.create(user=candidate, subtopic=subtopic)
    TopicMastery.objects.create(user=candidate, topic=topic)
    from django.utils import timezone

    MasteryEvent.objects.create(user=candidate, subtopic=subtopic, answer=answer, score=0.5, rating_before=0,
                                rating_after=0.1, variance_after=0.9, created_at=timezone.now())
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    Group.objects.create(name="Reviewers")
    Token.objects.create(user=candidate)
    plan = StudyPlan.objects.create(user=candidate)
    StudyPlanItem.objects.create(plan=plan, kind="study", subtopic=subtopic, title="Study X")


def registered_models() -> list[type]:
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


def test_every_project_model_is_registered() -> None:
    from django.apps import apps

    ours = {m for m in apps.get_models() if m._meta.app_label in {"accounts", "interviews", "mastery", "rag"}}
    missing = {m._meta.label for m in ours} - {m._meta.label for m in admin.site._registry}
    assert not missing, f"models without an admin: {sorted(missing)}"


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_changelist_add_and_change_pages_load(client, admin, one_of_everything, model) -> None:  # noqa: ANN001
    client.force_login(admin)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "x"}).status_code == 200  # search works where it is configured
    model_admin = admin_site_admin(model)
    if model_admin.has_add_permission(_request_for(admin)):
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    obj = model._default_manager.first()
    assert obj is not None, f"fixture made no {opts.label}"
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


def admin_site_admin(model):  # noqa: ANN001, ANN201
    return admin.site._registry[model]


def _request_for(user):  # noqa: ANN001, ANN201
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize("role", ["candidate", "instructor"])
def test_admin_refuses_non_staff(client, role) -> None:  # noqa: ANN001
    user = make_user(f"{role}-x@example.com", role=role)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
