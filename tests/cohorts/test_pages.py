"""Cohort pages: the permission matrix, the join page, and what an instructor may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.cohorts.scenario import ROLES, World, interview

LOGIN = "login"  # anonymous users are sent to the login page

# role -> expected status for instructor pages scoped to the instructor's cohort
OWNER_SCOPED = {"anonymous": LOGIN, "candidate": 403, "other_candidate": 403, "instructor": 200,
                "other_instructor": 404, "admin": 200}
OWNER_SCOPED_POST = {**OWNER_SCOPED, "instructor": 302, "admin": 302}


def _url(name: str, w: World) -> str:
    c, cand = w.cohort.pk, w.session.owner_id
    return {
        "list": "/cohorts/",
        "detail": f"/cohorts/{c}/",
        "member": f"/cohorts/{c}/members/{cand}/",
        "member_report": f"/cohorts/{c}/members/{cand}/interviews/{w.session.pk}/",
        "assignment_new": f"/cohorts/{c}/assignments/new/",
        "rotate": f"/cohorts/{c}/invite/rotate/",
        "remove": f"/cohorts/{c}/members/{cand}/remove/",
        "assignment_delete": f"/cohorts/{c}/assignments/{w.assignment.pk}/delete/",
        "join": "/cohorts/join/",
        "join_link": f"/cohorts/join/{w.cohort.invite_code}/",
        "start": f"/cohorts/assignments/{w.assignment.pk}/start/",
    }[name]


PAGES = [
    ("GET", "list", {"anonymous": LOGIN, "candidate": 403, "other_candidate": 403, "instructor": 200,
                     "other_instructor": 200, "admin": 200}),
    ("GET", "detail", OWNER_SCOPED),
    ("GET", "member", OWNER_SCOPED),
    ("GET", "member_report", OWNER_SCOPED),
    ("GET", "assignment_new", OWNER_SCOPED),
    ("POST", "rotate", OWNER_SCOPED_POST),
    ("POST", "remove", OWNER_SCOPED_POST),
    ("POST", "assignment_delete", OWNER_SCOPED_POST),
    ("GET", "join", {r: 200 for r in ROLES} | {"anonymous": LOGIN}),
    ("GET", "join_link", {r: 200 for r in ROLES} | {"anonymous": LOGIN}),
    # Only a member starts an assignment; to everyone else it does not exist.
    ("POST", "start", {"anonymous": LOGIN, "candidate": 302, "other_candidate": 404, "instructor": 404,
                       "other_instructor": 404, "admin": 404}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "page", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_page_permission_matrix(world, login_as, role, method, page, expected) -> None:  # noqa: ANN001
    client = login_as(role)
    url = _url(page, world)
    response = client.get(url) if method == "GET" else client.post(url)
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), response
    else:
        assert response.status_code == want, (role, page, response.status_code)


@pytest.mark.django_db
def test_other_instructors_404_reveals_nothing(world, login_as) -> None:  # noqa: ANN001
    response = login_as("other_instructor").get(_url("member_report", world))
    assert response.status_code == 404
    assert b"An index is a sorted structure" not in response.content
    assert world.cohort.name.encode() not in response.content


@pytest.mark.django_db
def test_instructor_creates_a_cohort_and_sees_it_listed(login_as, instructor, other_instructor) -> None:  # noqa: ANN001
    from accounts.models import Cohort

    client = login_as("instructor")
    response = client.post("/cohorts/", {"name": "Autumn", "description": "Backend track"})
    cohort = Cohort.objects.get(name="Autumn")
    assert cohort.owner == instructor
    assert response["Location"] == f"/cohorts/{cohort.pk}/"
    assert b"Autumn" in client.get("/cohorts/").content
    # A duplicate name is refused on the form, not with a 500.
    again = client.post("/cohorts/", {"name": "autumn"})
    assert again.status_code == 200 and b"already have a cohort" in again.content
    # Another instructor does not see it.
    assert b"Autumn" not in login_as("other_instructor").get("/cohorts/").content


@pytest.mark.django_db
def test_join_by_code_and_by_link(world, login_as, other_candidate) -> None:  # noqa: ANN001
    from accounts.models import CohortMembership

    client = login_as("other_candidate")
    page = client.get(_url("join_link", world))
    assert world.cohort.name.encode() in page.content and b"Nothing from before you join" in page.content
    response = client.post("/cohorts/join/", {"invite_code": world.cohort.invite_code})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert CohortMembership.objects.filter(cohort=world.cohort, user=other_candidate, left_at=None).count() == 1
    # Joining twice keeps one open membership.
    client.post("/cohorts/join/", {"invite_code": world.cohort.invite_code})
    assert CohortMembership.objects.filter(cohort=world.cohort, user=other_candidate, left_at=None).count() == 1


@pytest.mark.django_db
def test_bad_and_rotated_codes_are_refused(world, login_as, other_candidate) -> None:  # noqa: ANN001
    from accounts.models import CohortMembership

    client = login_as("other_candidate")
    assert client.get("/cohorts/join/not-a-code/").status_code == 404
    bad = client.post("/cohorts/join/", {"invite_code": "not-a-code"})
    assert bad.status_code == 200 and b"not valid" in bad.content
    old_code = world.cohort.invite_code
    login_as("instructor").post(_url("rotate", world))
    world.cohort.refresh_from_db()
    assert world.cohort.invite_code != old_code
    client = login_as("other_candidate")
    client.post("/cohorts/join/", {"invite_code": old_code})
    assert not CohortMembership.objects.filter(user=other_candidate).exists()


@pytest.mark.django_db
def test_instructor_sees_only_what_was_produced_while_a_member(world, login_as, candidate) -> None:  # noqa: ANN001
    before = interview(owner=candidate, created_at=world.membership.joined_at - timedelta(days=1), content=11)
    client = login_as("instructor")
    base = f"/cohorts/{world.cohort.pk}/members/{candidate.pk}"
    assert client.get(f"{base}/interviews/{before.pk}/").status_code == 404
    assert client.get(f"{base}/interviews/{world.session.pk}/").status_code == 200
    member_page = client.get(f"{base}/").content.decode()
    assert f"/interviews/{world.session.pk}/" in member_page and f"/interviews/{before.pk}/" not in member_page

    # After leaving, new interviews stay private; the ones from the membership stay readable.
    assert client.post(f"{base}/remove/").status_code == 302
    after = interview(owner=candidate, created_at=timezone.now() + timedelta(seconds=1), content=99)
    assert client.get(f"{base}/interviews/{after.pk}/").status_code == 404
    assert client.get(f"{base}/interviews/{world.session.pk}/").status_code == 200
    detail = client.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert "Former members" in detail
    # Removing again: no longer a current member.
    assert client.post(f"{base}/remove/").status_code == 404


@pytest.mark.django_db
def test_member_report_is_read_only(world, login_as) -> None:  # noqa: ANN001
    # The shape sessions.reporting writes: the most frequent kinds of improvement, with an example each.
    world.report.data = {"improvements": [{"category": "structure", "label": "Structure the answer", "count": 2,
                                           "questions": [1, 2], "examples": [{"title": "Lead with the result"}]}]}
    world.report.save()
    page = login_as("instructor").get(_url("member_report", world)).content.decode()
    assert "Structure the answer" in page and "Lead with the result" in page
    assert "An index is a sorted structure" in page and "Covered: speeds reads" in page
    assert "<form" not in page.split('id="main"')[1]  # no retry, skip or finish buttons for the instructor


@pytest.mark.django_db
def test_assignment_form_validates(world, login_as) -> None:  # noqa: ANN001
    from sessions.models import Assignment

    client = login_as("instructor")
    url = _url("assignment_new", world)
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"mode": "technical", "difficulty": 0, "question_count": 5, "due_at": past})
    assert response.status_code == 200 and b"in the past" in response.content
    response = client.post(url, {"mode": "technical", "difficulty": 0, "question_count": 25})
    assert response.status_code == 200
    assert Assignment.objects.filter(cohort=world.cohort).count() == 1
