"""The API's permission matrix: every endpoint, six roles. Someone else's object is a 404 (as on the pages), a
role-gated endpoint is a 403, an anonymous request a 401."""

from __future__ import annotations

import pytest

from tests.cohorts.scenario import ROLES, TOPIC, World

ALL_AUTH = {r: 200 for r in ROLES} | {"anonymous": 401}
OWNER_ONLY = {r: 404 for r in ROLES} | {"anonymous": 401, "candidate": 200}
INSTRUCTORS = {"anonymous": 401, "candidate": 403, "other_candidate": 403, "instructor": 200,
               "other_instructor": 200, "admin": 200}
COHORT_SCOPED = {**INSTRUCTORS, "other_instructor": 404}
ADMIN_WRITE = {r: 403 for r in ROLES} | {"anonymous": 401}


def _with(base: dict[str, int], **changes: int) -> dict[str, int]:
    return {**base, **changes}


def _request(w: World, name: str) -> tuple[str, str, dict | None]:
    c, cand, s, a = w.cohort.pk, w.session.owner_id, w.session.pk, w.assignment.pk
    return {
        "interviews": ("GET", "/api/v1/interviews/", None),
        "interview_create": ("POST", "/api/v1/interviews/", {"topics": [TOPIC], "count": 2}),
        "interview": ("GET", f"/api/v1/interviews/{s}/", None),
        "report": ("GET", f"/api/v1/interviews/{s}/report/", None),
        "finish": ("POST", f"/api/v1/interviews/{s}/finish/", None),
        "typed_answer": ("POST", f"/api/v1/interviews/{s}/questions/{w.question.pk}/answers/",
                         {"text": "Indexes speed up reads."}),
        "answers": ("GET", "/api/v1/answers/", None),
        "answer": ("GET", f"/api/v1/answers/{w.answer.pk}/", None),
        "my_assignments": ("GET", "/api/v1/assignments/", None),
        "assignment_start": ("POST", f"/api/v1/assignments/{a}/start/", None),
        "topics": ("GET", "/api/v1/topics/", None),
        "mastery": ("GET", "/api/v1/mastery/", None),
        "study_plan": ("GET", "/api/v1/study-plan/", None),
        "study_item_done": ("POST", f"/api/v1/study-plan/items/{w.plan_item.pk}/done/", {"done": True}),
        "bank_list": ("GET", "/api/v1/bank/questions/", None),
        "bank_detail": ("GET", f"/api/v1/bank/questions/{w.bank_question.pk}/", None),
        "bank_create": ("POST", "/api/v1/bank/questions/", {
            "ext_id": "cohorttest-new-1", "topic": TOPIC, "subtopic": "joins", "difficulty": 2,
            "text": "What is a hash join?", "reference_answer": "It builds a hash table on one input.",
            "key_points": ["builds a hash table", "probes with the other input"]}),
        "bank_update": ("PATCH", f"/api/v1/bank/questions/{w.bank_question.pk}/", {"hint": "Think of B-trees."}),
        "bank_delete": ("DELETE", f"/api/v1/bank/questions/{w.bank_question.pk}/", None),
        "resumes": ("GET", "/api/v1/resumes/", None),
        "resume": ("GET", f"/api/v1/resumes/{w.resume.pk}/", None),
        "resume_delete": ("DELETE", f"/api/v1/resumes/{w.resume.pk}/", None),
        "me": ("GET", "/api/v1/me/", None),
        "me_update": ("PATCH", "/api/v1/me/", {"target_role": "Backend engineer"}),
        "token_delete": ("DELETE", "/api/v1/auth/token/", None),
        "cohorts": ("GET", "/api/v1/cohorts/", None),
        "cohort_create": ("POST", "/api/v1/cohorts/", {"name": "Another cohort"}),
        "cohort": ("GET", f"/api/v1/cohorts/{c}/", None),
        "cohort_rotate": ("POST", f"/api/v1/cohorts/{c}/invite/rotate/", None),
        "cohort_join": ("POST", "/api/v1/cohorts/join/", {"invite_code": w.cohort.invite_code}),
        "member": ("GET", f"/api/v1/cohorts/{c}/members/{cand}/", None),
        "member_remove": ("DELETE", f"/api/v1/cohorts/{c}/members/{cand}/", None),
        "member_interview": ("GET", f"/api/v1/cohorts/{c}/members/{cand}/interviews/{s}/", None),
        "cohort_assignments": ("GET", f"/api/v1/cohorts/{c}/assignments/", None),
        "cohort_assignment_create": ("POST", f"/api/v1/cohorts/{c}/assignments/",
                                     {"title": "Joins", "topics": [TOPIC], "question_count": 3}),
        "cohort_assignment": ("GET", f"/api/v1/cohorts/{c}/assignments/{a}/", None),
        "cohort_assignment_delete": ("DELETE", f"/api/v1/cohorts/{c}/assignments/{a}/", None),
        "schema": ("GET", "/api/schema/", None),
        "docs": ("GET", "/api/docs/", None),
    }[name]


MATRIX: list[tuple[str, dict[str, int]]] = [
    ("interviews", ALL_AUTH),
    ("interview_create", _with(ALL_AUTH, **{r: 201 for r in ROLES if r != "anonymous"})),
    ("interview", OWNER_ONLY),
    ("report", OWNER_ONLY),
    ("finish", OWNER_ONLY),
    ("typed_answer", _with(OWNER_ONLY, candidate=201)),
    ("answers", ALL_AUTH),
    ("answer", OWNER_ONLY),
    ("my_assignments", ALL_AUTH),
    ("assignment_start", _with(OWNER_ONLY, candidate=201)),  # only the cohort's member
    ("topics", ALL_AUTH),
    ("mastery", ALL_AUTH),
    ("study_plan", OWNER_ONLY),  # the others have no plan yet
    ("study_item_done", OWNER_ONLY),
    ("bank_list", ALL_AUTH),
    ("bank_detail", ALL_AUTH),
    ("bank_create", _with(ADMIN_WRITE, admin=201)),
    ("bank_update", _with(ADMIN_WRITE, admin=200)),
    ("bank_delete", _with(ADMIN_WRITE, admin=204)),
    ("resumes", ALL_AUTH),
    ("resume", OWNER_ONLY),
    ("resume_delete", _with(OWNER_ONLY, candidate=204)),
    ("me", ALL_AUTH),
    ("me_update", ALL_AUTH),
    ("token_delete", _with(ALL_AUTH, **{r: 204 for r in ROLES if r != "anonymous"})),
    ("cohorts", INSTRUCTORS),
    ("cohort_create", _with(INSTRUCTORS, instructor=201, other_instructor=201, admin=201)),
    ("cohort", COHORT_SCOPED),
    ("cohort_rotate", COHORT_SCOPED),
    # Anyone signed in may join by code; the owner cannot join their own cohort.
    ("cohort_join", _with(ALL_AUTH, candidate=201, other_candidate=201, instructor=400, other_instructor=201,
                          admin=201)),
    ("member", COHORT_SCOPED),
    ("member_remove", _with(COHORT_SCOPED, instructor=204, admin=204)),
    ("member_interview", COHORT_SCOPED),
    ("cohort_assignments", COHORT_SCOPED),
    ("cohort_assignment_create", _with(COHORT_SCOPED, instructor=201, admin=201)),
    ("cohort_assignment", COHORT_SCOPED),
    ("cohort_assignment_delete", _with(COHORT_SCOPED, instructor=204, admin=204)),
    ("schema", {r: 200 for r in ROLES}),
    ("docs", {r: 200 for r in ROLES}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "expected"), MATRIX, ids=[name for name, _ in MATRIX])
def test_api_permission_matrix(world, login_as, role, endpoint, expected) -> None:  # noqa: ANN001
    client = login_as(role)
    method, url, body = _request(world, endpoint)
    kwargs = {"content_type": "application/json"} if body is not None else {}
    response = getattr(client, method.lower())(url, body, **kwargs) if body is not None else \
        getattr(client, method.lower())(url)
    assert response.status_code == expected[role], (endpoint, role, response.status_code,
                                                    getattr(response, "data", None))
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["other_candidate", "instructor", "other_instructor", "admin"])
def test_lists_hold_only_the_callers_own_rows(world, login_as, role) -> None:  # noqa: ANN001
    client = login_as(role)
    for url in ("/api/v1/interviews/", "/api/v1/answers/", "/api/v1/resumes/"):
        assert client.get(url).json()["count"] == 0, url
    owner = login_as("candidate")
    for url in ("/api/v1/interviews/", "/api/v1/answers/", "/api/v1/resumes/"):
        assert owner.get(url).json()["count"] == 1, url


@pytest.mark.django_db
def test_another_instructor_sees_no_cohorts_and_the_admin_sees_all(world, login_as) -> None:  # noqa: ANN001
    assert login_as("other_instructor").get("/api/v1/cohorts/").json()["count"] == 0
    assert [c["name"] for c in login_as("admin").get("/api/v1/cohorts/").json()["results"]] == ["Spring cohort"]
