"""Ownership on every route that takes an id: another candidate gets a 404 (nothing revealed, nothing changed).

The routes are found by walking the URL resolver, so a new route with an id is covered without editing this file;
a route whose id names something this test cannot make fails loudly instead of being skipped.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# Namespaces of candidate-owned objects (cohorts and the API have their own role matrices in tests/cohorts, tests/api).
NAMESPACES = {"interviews", "rag", "mastery"}


def routes() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(patterns: list, prefix: str, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace in NAMESPACES and "<id:" in prefix + str(entry.pattern):
                found.append((f"{namespace}:{entry.name}", prefix + str(entry.pattern)))

    walk(get_resolver().url_patterns, "", None)
    return sorted(found)


@pytest.fixture
def owned(candidate):  # noqa: ANN001, ANN201
    """One of everything a candidate owns, with the ids the routes take."""
    from django.utils import timezone

    from accounts.models import JobDescription, Resume
    from mastery.models import StudyPlan, StudyPlanItem, Subtopic, Topic
    from sessions.models import Answer, InterviewSession, ReportShareLink, SessionQuestion

    topic, _ = Topic.objects.get_or_create(slug="own-topic", defaults={"name": "Own topic"})
    subtopic, _ = Subtopic.objects.get_or_create(topic=topic, slug="own-sub", defaults={"name": "Own sub"})
    session = InterviewSession.objects.create(owner=candidate, planned_count=1, started_at=timezone.now())
    question = SessionQuestion.objects.create(session=session, position=1, text="Q?", topic=topic, subtopic=subtopic)
    answer = Answer.objects.create(question=question, user=candidate, status="scored", input_mode="text",
                                   transcript="An answer.", content_score=50.0, scored_at=timezone.now())
    resume = Resume.objects.create(user=candidate, original_name="cv.txt", file_type="txt", size_bytes=10,
                                   text="Python", status="ready")
    job = JobDescription.objects.create(user=candidate, title="Engineer", text="Python and SQL " * 10)
    plan = StudyPlan.objects.create(user=candidate)
    item = StudyPlanItem.objects.create(plan=plan, kind="study", subtopic=subtopic, title="Study")
    link = ReportShareLink.objects.create(session=session, expires_at=timezone.now() + timezone.timedelta(days=1))
    return {"session_id": session.pk, "question_id": question.pk, "answer_id": answer.pk, "resume_id": resume.pk,
            "job_id": job.pk, "item_id": item.pk, "link_id": link.pk}


def fill(route: str, ids: dict[str, int]) -> str:
    import re

    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in ids, f"{route}: the test does not know how to make a `{name}`; add it to the fixture"
        return str(ids[name])

    return "/" + re.sub(r"<id:(\w+)>", value, route)


def test_the_walk_finds_the_routes_that_matter() -> None:
    names = {name for name, _ in routes()}
    assert {"interviews:room", "interviews:answer", "interviews:report", "rag:resume_status", "rag:job_fit",
            "mastery:item_done"} <= names


@pytest.mark.parametrize("name, route", routes())
def test_another_candidate_gets_404_and_changes_nothing(client, owned, name, route) -> None:  # noqa: ANN001
    from sessions.models import Answer, InterviewSession

    intruder = make_user("intruder@example.com")
    client.force_login(intruder)
    url = fill(route, owned)
    before = (InterviewSession.objects.get(pk=owned["session_id"]).status,
              Answer.objects.filter(question__session_id=owned["session_id"]).count())
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code in (404, 405), f"{method.__name__.upper()} {url} ({name}) gave " \
                                                   f"{response.status_code}"
    after = (InterviewSession.objects.get(pk=owned["session_id"]).status,
             Answer.objects.filter(question__session_id=owned["session_id"]).count())
    assert before == after


@pytest.mark.parametrize("name, route", routes())
def test_anonymous_visitors_are_sent_to_login(client, owned, name, route) -> None:  # noqa: ANN001
    response = client.get(fill(route, owned))
    assert response.status_code in (302, 405) and (response.status_code == 405
                                                   or "/accounts/login/" in response["Location"])


@pytest.mark.parametrize("path", ["/interviews/{big}/", "/interviews/answers/{big}/", "/api/v1/interviews/{big}/",
                                  "/api/v1/answers/{big}/", "/api/v1/bank/questions/{big}/",
                                  "/api/v1/cohorts/{big}/", "/jobs/{big}/fit/"])
@pytest.mark.parametrize("big", [2**63, 2**64, 10**30])
def test_ids_beyond_64_bits_are_404_not_500(candidate_client, path, big) -> None:  # noqa: ANN001
    assert candidate_client.get(path.format(big=big)).status_code == 404


@pytest.mark.parametrize("query", [f"session={2**64}", "session=-1", "session=abc", f"session={10**40}"])
def test_id_query_parameters_beyond_64_bits_are_400(candidate_client, query) -> None:  # noqa: ANN001
    response = candidate_client.get(f"/api/v1/answers/?{query}")
    assert response.status_code == 400 and "session" in response.json()["detail"]
