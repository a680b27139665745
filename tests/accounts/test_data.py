"""A candidate downloads all their data and deletes it (optionally with the account), confirmed by password."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import JobDescription, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_data(candidate):  # noqa: ANN001, ANN201
    from mastery.models import Topic
    from sessions.models import Answer, InterviewSession, SessionQuestion

    topic, _ = Topic.objects.get_or_create(slug="data-topic", defaults={"name": "Data topic"})
    session = InterviewSession.objects.create(owner=candidate, planned_count=1)
    question = SessionQuestion.objects.create(session=session, position=1, text="Q?", topic=topic)
    Answer.objects.create(question=question, user=candidate, transcript="My transcript words.", input_mode="text")
    JobDescription.objects.create(user=candidate, title="Engineer", text="Python " * 20)
    return candidate


def test_export_downloads_everything_as_json(candidate_client, with_data):
    response = candidate_client.get(reverse("accounts:data_export"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    body = json.loads(response.content)
    assert "My transcript words." in json.dumps(body)
    assert "Engineer" in json.dumps(body)


def test_delete_needs_the_password_and_the_confirmation(candidate_client, with_data):
    response = candidate_client.post(reverse("accounts:data"), {"password": "wrong", "confirm": "on"})
    assert "That is not your password." in response.content.decode()
    response = candidate_client.post(reverse("accounts:data"), {"password": "correct-horse-battery-9"})
    assert response.status_code == 200  # the confirmation box is required
    assert with_data.interviews.count() == 1 and with_data.job_descriptions.count() == 1


def test_delete_data_keeps_the_account(candidate_client, with_data):
    response = candidate_client.post(reverse("accounts:data"), {"password": "correct-horse-battery-9",
                                                                "confirm": "on"}, follow=True)
    assert "All your data was deleted" in response.content.decode()
    assert with_data.interviews.count() == 0 and with_data.job_descriptions.count() == 0
    assert User.objects.filter(pk=with_data.pk).exists()


def test_delete_account_too_logs_out(candidate_client, with_data):
    response = candidate_client.post(reverse("accounts:data"), {"password": "correct-horse-battery-9",
                                                                "confirm": "on", "delete_account": "on"},
                                     follow=True)
    assert "account and all its data were deleted" in response.content.decode()
    assert not User.objects.filter(pk=with_data.pk).exists()
    assert candidate_client.get(reverse("accounts:data")).status_code == 302


def test_data_pages_need_login(client):
    for name in ("accounts:data", "accounts:data_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
