"""An assignment from the instructor to the candidate (dashboard, one click, interview) and back to the cohort
dashboard; and the dashboard's numbers on a crafted cohort."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.cohorts.scenario import TOPIC, bank_topic, interview


def _score(session, content: float, delivery: float) -> None:  # noqa: ANN001
    """What the scoring pipeline leaves on each answer (it runs in a worker, outside the test's transaction)."""
    from sessions.models import Answer

    Answer.objects.filter(question__session=session).update(status="scored", content_score=content,
                                                             delivery_score=delivery, scored_at=timezone.now())


@pytest.mark.django_db
def test_assignment_flows_from_instructor_to_candidate_to_cohort_dashboard(
        login_as, candidate, other_candidate, instructor) -> None:  # noqa: ANN001
    from accounts import services
    from sessions import cohorts
    from sessions.models import InterviewSession

    bank_topic()
    cohort = services.cohort_create(owner=instructor, name="Flow cohort")
    services.cohort_join(user=candidate, invite_code=cohort.invite_code)
    services.cohort_join(user=other_candidate, invite_code=cohort.invite_code)

    # 1. The instructor assigns a practice set on the page.
    client = login_as("instructor")
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/cohorts/{cohort.pk}/assignments/new/", {
        "title": "Index drill", "mode": "technical", "topics": [TOPIC], "difficulty": 0, "question_count": 2,
        "due_at": due})
    assert response.status_code == 302, response.content
    assignment = cohort.assignments.get()
    assert (assignment.title, assignment.question_count, [t.slug for t in assignment.topics.all()]) == (
        "Index drill", 2, [TOPIC])

    # 2. The candidate's dashboard shows it with a one-click start.
    client = login_as("candidate")
    dashboard = client.get("/dashboard/").content.decode()
    assert "Index drill" in dashboard
    start_url = f"/cohorts/assignments/{assignment.pk}/start/"
    assert f'action="{start_url}"' in dashboard

    # 3. One click: interview_start with the assignment's spec, straight into the room.
    response = client.post(start_url)
    session = InterviewSession.objects.get(owner=candidate)
    assert response.status_code == 302 and response["Location"] == f"/interviews/{session.pk}/"
    assert session.assignment == assignment and session.planned_count == 2
    assert {q.topic.slug for q in session.questions.all()} == {TOPIC}

    # 4. The candidate answers (typed, through the API) and finishes.
    for question in session.questions.all():
        answered = client.post(f"/api/v1/interviews/{session.pk}/questions/{question.pk}/answers/",
                               {"text": "An index trades write cost and space for faster reads."},
                               content_type="application/json")
        assert answered.status_code == 201, answered.content
    _score(session, content=55.0, delivery=80.0)
    assert client.post(f"/api/v1/interviews/{session.pk}/finish/").status_code == 200

    # The dashboard now marks it done and offers no start button.
    dashboard = client.get("/dashboard/").content.decode()
    assert "done" in dashboard and f'action="{start_url}"' not in dashboard

    # 5. The cohort dashboard: who practised, averages, weakest subtopics, progress, assignment completion.
    data = cohorts.cohort_dashboard(cohort=cohort)
    row = next(r for r in data["assignments"] if r["assignment"] == assignment)
    assert [u.pk for u in row["done"]] == [candidate.pk] and [u.pk for u in row["missing"]] == [other_candidate.pk]
    assert row["overdue"] == []  # not due yet
    assert [m["user"].pk for m in data["practised"]] == [candidate.pk]
    assert [m["user"].pk for m in data["not_practised"]] == [other_candidate.pk]
    assert data["averages"]["content"] == pytest.approx(55.0) and data["averages"]["delivery"] == pytest.approx(80.0)
    assert data["weakest"][0]["question__topic__name"] == "Cohort test topic"
    page = login_as("instructor").get(f"/cohorts/{cohort.pk}/").content.decode()
    assert "1 / 2 done" in page and "Index drill" in page and "55" in page

    # 6. Past the due date, the member who did not do it is overdue; the one who did is not.
    type(assignment).objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(hours=1))
    row = next(r for r in cohorts.cohort_dashboard(cohort=cohort)["assignments"] if r["assignment"] == assignment)
    assert [u.pk for u in row["overdue"]] == [other_candidate.pk]
    page = login_as("instructor").get(f"/cohorts/{cohort.pk}/").content.decode()
    assert "overdue: Otto Other" in page


@pytest.mark.django_db
def test_one_click_start_failure_goes_back_to_the_form(login_as, candidate, instructor) -> None:  # noqa: ANN001
    """A resume-based assignment for a member without a resume: the service refuses, the page says why."""
    from accounts import services
    from sessions.services import assignment_create

    cohort = services.cohort_create(owner=instructor, name="Resume cohort")
    services.cohort_join(user=candidate, invite_code=cohort.invite_code)
    assignment = assignment_create(cohort=cohort, created_by=instructor, mode="resume")
    client = login_as("candidate")
    response = client.post(f"/cohorts/assignments/{assignment.pk}/start/")
    assert response.status_code == 302 and response["Location"] == f"/interviews/new/?assignment={assignment.pk}"
    assert not candidate.interviews.exists()


@pytest.mark.django_db
def test_dashboard_numbers_on_a_crafted_cohort(candidate, other_candidate, instructor) -> None:  # noqa: ANN001
    from accounts import services
    from accounts.models import CohortMembership
    from sessions import cohorts

    cohort = services.cohort_create(owner=instructor, name="Numbers")
    for user in (candidate, other_candidate):
        membership = services.cohort_join(user=user, invite_code=cohort.invite_code)
        CohortMembership.objects.filter(pk=membership.pk).update(joined_at=timezone.now() - timedelta(days=60))
    now = timezone.now()
    # The candidate improves over three interviews on indexes; the other is weak on joins, 40 days ago.
    for days, score in ((20, 40.0), (10, 60.0), (1, 80.0)):
        interview(owner=candidate, created_at=now - timedelta(days=days), content=score, delivery=50.0)
    interview(owner=other_candidate, created_at=now - timedelta(days=40), content=20.0, delivery=None,
              subtopic_slug="joins")
    # Before joining: must not count.
    interview(owner=other_candidate, created_at=now - timedelta(days=90), content=100.0, subtopic_slug="joins")

    data = cohorts.cohort_dashboard(cohort=cohort)
    members = {m["user"].pk: m for m in data["members"]}
    assert [p["content"] for p in members[candidate.pk]["progress"]] == [40.0, 60.0, 80.0]
    assert members[candidate.pk]["sparkline"]  # three points -> a line
    assert members[candidate.pk]["practised_recently"] and not members[other_candidate.pk]["practised_recently"]
    assert members[other_candidate.pk]["interviews"] == 1 and members[other_candidate.pk]["avg_content"] == 20.0
    assert data["averages"]["answers"] == 4 and data["averages"]["content"] == pytest.approx(50.0)
    assert [w["question__subtopic__name"] for w in data["weakest"]] == ["Joins", "Indexes"]
    assert data["weakest"][0]["avg_content"] == pytest.approx(20.0)


@pytest.mark.django_db
def test_assignment_service_refuses_bad_input(instructor, other_instructor, candidate) -> None:  # noqa: ANN001
    from accounts import services
    from sessions.services import assignment_create

    cohort = services.cohort_create(owner=instructor, name="Rules")
    cases = [
        dict(created_by=other_instructor),
        dict(mode="poetry"),
        dict(difficulty=4),
        dict(question_count=0),
        dict(question_count=21),
        dict(topic_slugs=["no-such-topic"]),
        dict(due_at=timezone.now() - timedelta(minutes=1)),
    ]
    for case in cases:
        kwargs = {"cohort": cohort, "created_by": instructor, **case}
        with pytest.raises(services.AccountError):
            assignment_create(**kwargs)
    with pytest.raises(services.AccountError):
        services.cohort_create(owner=candidate, name="Not mine")
    assert not cohort.assignments.exists()
