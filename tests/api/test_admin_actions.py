"""Admin actions: re-run an answer's pipeline, export and delete a user's data."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

USERS_URL = "/admin/accounts/user/"


def _act(client, url: str, action: str, ids: list[int], **extra: str):  # noqa: ANN001, ANN202
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [str(i) for i in ids], **extra})


@pytest.mark.django_db
def test_export_user_data_as_json(world, login_as, candidate, other_candidate) -> None:  # noqa: ANN001
    from tests.cohorts.scenario import interview

    interview(owner=other_candidate, content=12.0)
    client = login_as("admin")
    response = _act(client, USERS_URL, "export_user_data", [candidate.pk])
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert f'filename="user-{candidate.pk}-data.json"' in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["user"]["email"] == "cand@example.com"
    assert [i["id"] for i in data["interviews"]] == [world.session.pk]
    answer = data["interviews"][0]["questions"][0]["answers"][0]
    assert answer["transcript"].startswith("An index is") and answer["content_score"] == 62.0
    assert data["interviews"][0]["report"]["data"] == {"summary": "Solid basics."}
    assert [r["original_name"] for r in data["resumes"]] == ["cv.txt"]
    assert data["study_plans"][0]["items"][0]["title"] == "Practise 3 join questions"
    assert data["memberships"][0]["cohort__name"] == "Spring cohort"
    assert "password" not in json.dumps(data)
    assert "other@example.com" not in response.content.decode()

    both = json.loads(_act(client, USERS_URL, "export_user_data", [candidate.pk, other_candidate.pk]).content)
    assert sorted(u["user"]["email"] for u in both["users"]) == ["cand@example.com", "other@example.com"]


@pytest.mark.django_db
def test_delete_user_data_asks_first_then_deletes_only_that_users_data(
        world, login_as, candidate, other_candidate, settings, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    from accounts.models import CohortMembership, User
    from tests.cohorts.scenario import interview

    others = interview(owner=other_candidate)
    audio = world.answer.audio_path
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(b"\0" * 320)
    client = login_as("admin")

    confirm = _act(client, USERS_URL, "delete_user_data", [candidate.pk])
    assert confirm.status_code == 200 and b"Yes, delete their data" in confirm.content
    assert b"1 interviews" in confirm.content
    assert candidate.interviews.exists() and audio.exists()  # nothing happens before the confirmation

    with django_capture_on_commit_callbacks(execute=True):
        done = _act(client, USERS_URL, "delete_user_data", [candidate.pk], confirm="yes")
    assert done.status_code == 302
    assert User.objects.filter(pk=candidate.pk).exists()  # the account stays
    assert not candidate.interviews.exists() and not candidate.answers.exists()
    assert not candidate.resumes.exists() and not candidate.study_plans.exists()
    assert not CohortMembership.objects.filter(user=candidate).exists()
    assert not audio.exists()
    assert other_candidate.interviews.get() == others  # nobody else's data moved
    assert world.cohort.assignments.exists()


@pytest.mark.django_db
def test_rerun_feedback_requeues_answers_and_skips_recordings(
        world, login_as, candidate, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    from sessions.models import Answer

    recording = Answer.objects.create(question=world.question, user=candidate, attempt=2, status="recording")
    client = login_as("admin")
    with django_capture_on_commit_callbacks() as callbacks:
        response = _act(client, "/admin/interviews/answer/", "rerun_feedback", [world.answer.pk, recording.pk])
    assert response.status_code == 302
    world.answer.refresh_from_db()
    recording.refresh_from_db()
    assert (world.answer.status, world.answer.progress) == ("processing", "queued")
    assert recording.status == "recording"
    assert len(callbacks) == 1  # one pipeline queued, for the finished answer only
    messages = [m.message for m in client.get("/admin/interviews/answer/").context["messages"]]
    assert any("Queued 1 answer" in m for m in messages)
    assert any(f"answer {recording.pk}: This answer is still being recorded" in m for m in messages)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["candidate", "instructor"])
def test_non_staff_cannot_run_admin_actions(world, login_as, role, candidate) -> None:  # noqa: ANN001
    response = _act(login_as(role), USERS_URL, "export_user_data", [candidate.pk])
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
