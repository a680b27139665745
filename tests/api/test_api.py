"""The REST API's behaviour: authentication, throttling, pagination, validation and the failure paths."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.cohorts.scenario import TOPIC, bank_topic, interview
from tests.conftest import PASSWORD


@pytest.fixture
def api() -> APIClient:
    return APIClient()


# --- authentication ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_obtain_use_and_revoke(api, world, candidate) -> None:  # noqa: ANN001
    response = api.post("/api/v1/auth/token/", {"email": "CAND@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = api.get("/api/v1/interviews/")
    assert listed.status_code == 200 and listed.json()["results"][0]["id"] == world.session.pk
    # The same key comes back while it lives; revoking it locks the client out.
    again = APIClient().post("/api/v1/auth/token/", {"email": "cand@example.com", "password": PASSWORD},
                             format="json")
    assert again.json()["token"] == token
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/interviews/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"email": "cand@example.com", "password": "wrong-password"},
    {"email": "nobody@example.com", "password": PASSWORD},
    {"email": "not-an-email", "password": PASSWORD},
    {"email": "cand@example.com"},
])
def test_token_refused_for_bad_credentials(api, candidate, body) -> None:  # noqa: ANN001
    response = api.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.django_db
def test_inactive_user_gets_no_token(api, candidate) -> None:  # noqa: ANN001
    candidate.is_active = False
    candidate.save()
    assert api.post("/api/v1/auth/token/", {"email": "cand@example.com", "password": PASSWORD},
                    format="json").status_code == 400


@pytest.mark.django_db
def test_bad_token_is_401(api, world) -> None:  # noqa: ANN001
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert api.get("/api/v1/interviews/").status_code == 401


@pytest.mark.django_db
def test_session_auth_enforces_csrf_on_writes(world, candidate) -> None:  # noqa: ANN001
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(candidate)
    assert client.get("/api/v1/interviews/").status_code == 200
    response = client.post(f"/api/v1/interviews/{world.session.pk}/finish/")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_token_endpoint_is_throttled_like_the_login_page(api, candidate, settings) -> None:  # noqa: ANN001
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    codes = [api.post("/api/v1/auth/token/", {"email": "cand@example.com", "password": "nope-nope"},
                      format="json").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    # The right password does not get past the limit either.
    assert api.post("/api/v1/auth/token/", {"email": "cand@example.com", "password": PASSWORD},
                    format="json").status_code == 429


@pytest.mark.django_db
def test_interview_creation_is_throttled(api, candidate, settings) -> None:  # noqa: ANN001

    bank_topic()
    settings.RATE_LIMITS_ENABLED = True
    # Per hour, not per minute: the first create may load the embedding model for longer than a minute.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "interview_create": "2/h"}
    api.force_authenticate(candidate)
    codes = [api.post("/api/v1/interviews/", {"topics": [TOPIC], "count": 1}, format="json").status_code
             for _ in range(3)]
    assert codes == [201, 201, 429]
    assert api.get("/api/v1/interviews/").status_code == 200  # reading is not limited by the form's rate


# --- interviews and answers -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_interview_through_the_service(api, candidate) -> None:  # noqa: ANN001

    bank_topic()
    api.force_authenticate(candidate)
    response = api.post("/api/v1/interviews/", {"mode": "technical", "topics": [TOPIC], "difficulty": 0,
                                                "count": 3, "persona": "demanding"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["persona"] == "demanding" and body["planned_count"] == 3 and body["topics"] == [TOPIC]
    assert len(body["questions"]) == 3 and all(q["topic"] == TOPIC for q in body["questions"])
    detail = api.get(f"/api/v1/interviews/{body['id']}/").json()
    assert [q["id"] for q in detail["questions"]] == [q["id"] for q in body["questions"]]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "code"), [
    ({"topics": ["no-such-topic"]}, "bad_topic"),
    ({"topics": [TOPIC], "resume": 999999}, "bad_resume"),
    ({"topics": [TOPIC], "assignment": 999999}, "bad_assignment"),
    ({"mode": "resume"}, "no_resume"),
])
def test_create_interview_refusals_carry_the_service_code(api, candidate, body, code) -> None:  # noqa: ANN001

    bank_topic()
    api.force_authenticate(candidate)
    response = api.post("/api/v1/interviews/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == code
    assert not candidate.interviews.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"count": 0}, {"count": 21}, {"difficulty": 4}, {"mode": "poetry"},
                                  {"topics": "python"}])
def test_create_interview_rejects_malformed_input(api, candidate, body) -> None:  # noqa: ANN001
    api.force_authenticate(candidate)
    assert api.post("/api/v1/interviews/", body, format="json").status_code == 400


@pytest.mark.django_db
def test_cannot_use_another_users_resume_or_foreign_assignment(api, world, other_candidate) -> None:  # noqa: ANN001
    api.force_authenticate(other_candidate)
    response = api.post("/api/v1/interviews/", {"topics": [TOPIC], "resume": world.resume.pk}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "bad_resume"
    response = api.post("/api/v1/interviews/", {"topics": [TOPIC], "assignment": world.assignment.pk},
                        format="json")
    assert response.status_code == 400 and response.json()["code"] == "bad_assignment"


@pytest.mark.django_db
def test_report_finish_and_typed_answers(api, candidate) -> None:  # noqa: ANN001
    session = interview(owner=candidate)
    question = session.questions.get()
    api.force_authenticate(candidate)
    url = f"/api/v1/interviews/{session.pk}"
    not_yet = api.get(f"{url}/report/")
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "not_finished"
    assert api.post(f"{url}/questions/{question.pk}/answers/", {"text": "   "}, format="json").status_code == 400
    assert api.post(f"{url}/questions/{question.pk}/answers/", {"text": "x" * 10001},
                    format="json").status_code == 400
    typed = api.post(f"{url}/questions/{question.pk}/answers/", {"text": "A second attempt."}, format="json")
    assert typed.status_code == 201 and typed.json()["attempt"] == 2 and typed.json()["input_mode"] == "text"
    finished = api.post(f"{url}/finish/")
    assert finished.status_code == 200 and finished.json()["status"] == "completed"
    assert api.post(f"{url}/finish/").status_code == 200  # idempotent
    report = api.get(f"{url}/report/")
    assert report.status_code == 200 and report.json()["status"] in ("pending", "building", "ready")
    closed = api.post(f"{url}/questions/{question.pk}/answers/", {"text": "Too late."}, format="json")
    assert closed.status_code == 409 and closed.json()["code"] == "session_closed"


@pytest.mark.django_db
def test_question_of_another_interview_is_404(api, candidate) -> None:  # noqa: ANN001
    first, second = interview(owner=candidate), interview(owner=candidate)
    api.force_authenticate(candidate)
    q_second = second.questions.get()
    assert api.post(f"/api/v1/interviews/{first.pk}/questions/{q_second.pk}/answers/", {"text": "Hi"},
                    format="json").status_code == 404


@pytest.mark.django_db
def test_pagination_and_answer_filter(api, candidate) -> None:  # noqa: ANN001
    sessions = [interview(owner=candidate) for _ in range(23)]
    api.force_authenticate(candidate)
    first = api.get("/api/v1/interviews/").json()
    assert first["count"] == 23 and len(first["results"]) == 20 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 3 and second["next"] is None
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert sorted(ids) == sorted(s.pk for s in sessions)
    only = api.get(f"/api/v1/answers/?session={sessions[0].pk}").json()
    assert only["count"] == 1 and only["results"][0]["session"] == sessions[0].pk
    assert api.get("/api/v1/answers/?session=abc").status_code == 400
    assert api.get("/api/v1/interviews/?page=99").status_code == 404


# --- question bank ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bank_admin_writes_keep_the_content_hash(api, world, admin) -> None:  # noqa: ANN001
    from rag.bank_loader import content_hash
    from rag.models import BankQuestion

    api.force_authenticate(admin)
    body = {"ext_id": "cohorttest-new-2", "topic": TOPIC, "subtopic": "joins", "difficulty": 3,
            "text": "Compare nested-loop and hash joins.", "reference_answer": "Nested loops suit small inputs.",
            "key_points": ["nested loops for small inputs", "hash join for large unsorted inputs"]}
    created = api.post("/api/v1/bank/questions/", body, format="json")
    assert created.status_code == 201, created.json()
    row = BankQuestion.objects.get(ext_id="cohorttest-new-2")
    assert row.subtopic.slug == "joins"
    assert row.content_hash == content_hash(text=row.text, reference_answer=row.reference_answer,
                                            key_points=row.key_points)
    old_hash = row.content_hash
    patched = api.patch(f"/api/v1/bank/questions/{row.pk}/", {"key_points": ["only one point now"]}, format="json")
    assert patched.status_code == 200
    row.refresh_from_db()
    assert row.key_points == ["only one point now"] and row.content_hash != old_hash


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), [
    ({"subtopic": "no-such-subtopic"}, "subtopic"),
    ({"difficulty": 4}, "difficulty"),
    ({"key_points": []}, "key_points"),
    ({"key_points": ["ok", "  "]}, "key_points"),
    ({"topic": "no-such-topic"}, "topic"),
    ({"text": "   "}, "text"),
    ({"ext_id": "cohorttest-indexes-1"}, "ext_id"),  # ids are never reused
])
def test_bank_rejects_invalid_questions(api, world, admin, change, field) -> None:  # noqa: ANN001
    api.force_authenticate(admin)
    body = {"ext_id": "cohorttest-new-3", "topic": TOPIC, "subtopic": "joins", "difficulty": 2,
            "text": "What is a join?", "reference_answer": "It combines rows.", "key_points": ["combines rows"],
            **change}
    response = api.post("/api/v1/bank/questions/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


@pytest.mark.django_db
def test_bank_filters_and_hides_retired_questions_from_candidates(api, world, candidate, admin) -> None:  # noqa: ANN001
    from rag.models import BankQuestion

    BankQuestion.objects.filter(ext_id="cohorttest-joins-1").update(is_active=False)
    api.force_authenticate(candidate)
    listed = api.get(f"/api/v1/bank/questions/?topic={TOPIC}&subtopic=joins").json()
    assert listed["count"] == 2 and all(r["subtopic"] == "joins" for r in listed["results"])
    api.force_authenticate(admin)
    assert api.get(f"/api/v1/bank/questions/?topic={TOPIC}&subtopic=joins").json()["count"] == 3


# --- mastery, study plan, resumes, profile -------------------------------------------------------------------


@pytest.mark.django_db
def test_mastery_and_study_plan(api, world, candidate) -> None:  # noqa: ANN001
    from mastery.models import Subtopic, SubtopicMastery, TopicMastery

    subtopic = Subtopic.objects.get(topic__slug=TOPIC, slug="indexes")
    TopicMastery.objects.create(user=candidate, topic=subtopic.topic, rating=1.0, variance=0.5, evidence_count=3)
    SubtopicMastery.objects.create(user=candidate, subtopic=subtopic, rating=1.0, variance=0.5, evidence_count=3)
    api.force_authenticate(candidate)
    mastery = api.get("/api/v1/mastery/").json()
    assert [t["slug"] for t in mastery] == [TOPIC]
    assert mastery[0]["percent"] == 73 and mastery[0]["low"] < 73 < mastery[0]["high"]
    assert [s["slug"] for s in mastery[0]["subtopics"]] == ["indexes"]
    plan = api.get("/api/v1/study-plan/").json()
    assert plan["progress"] == {"done": 0, "total": 1, "percent": 0}
    item = plan["items"][0]["id"]
    done = api.post(f"/api/v1/study-plan/items/{item}/done/", {"done": True}, format="json")
    assert done.status_code == 200 and done.json()["done"] is True
    assert api.get("/api/v1/study-plan/").json()["progress"]["done"] == 1
    undone = api.post(f"/api/v1/study-plan/items/{item}/done/", {"done": False}, format="json")
    assert undone.json()["done"] is False


@pytest.mark.django_db
def test_resume_upload_is_checked_like_the_page(api, candidate) -> None:  # noqa: ANN001
    from django.core.files.uploadedfile import SimpleUploadedFile

    api.force_authenticate(candidate)
    text = b"Jane Doe\nExperience\nPython developer at Acme, 2019-2024. Built APIs with Django.\n"
    ok = api.post("/api/v1/resumes/", {"file": SimpleUploadedFile("cv.txt", text, "text/plain")}, format="multipart")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["file_type"] == "txt" and ok.json()["status"] == "pending"
    fake_pdf = api.post("/api/v1/resumes/", {"file": SimpleUploadedFile("cv.pdf", text, "application/pdf")},
                        format="multipart")
    assert fake_pdf.status_code == 400 and fake_pdf.json()["code"] == "bad_resume"
    assert "PDF" in fake_pdf.json()["detail"]
    huge = api.post("/api/v1/resumes/", {"file": SimpleUploadedFile("cv.txt", b"a" * (5 * 1024 * 1024 + 10))},
                    format="multipart")
    assert huge.status_code == 400 and "limit" in huge.json()["detail"]
    assert api.post("/api/v1/resumes/", {}, format="multipart").status_code == 400
    assert candidate.resumes.count() == 1


@pytest.mark.django_db
def test_profile_update_goes_through_the_service(api, candidate) -> None:  # noqa: ANN001
    api.force_authenticate(candidate)
    response = api.patch("/api/v1/me/", {"skills": ["Python", " python ", "SQL"], "role": "admin"}, format="json")
    assert response.status_code == 200
    candidate.refresh_from_db()
    assert candidate.skills == ["Python", "SQL"]  # normalised by user_update_profile
    assert candidate.role == "candidate"  # read-only: nobody promotes themselves
    assert api.patch("/api/v1/me/", {"years_experience": 99}, format="json").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    ({"skills": "Python, SQL"}, "skills"), ({"skills": 5}, "skills"), ({"skills": {"a": 1}}, "skills"),
    ({"skills": [["nested"]]}, "skills"), ({"skills": ["x" * 61]}, "skills"), ({"skills": ["s"] * 61}, "skills"),
    ({"persona": "pirate"}, "persona"), ({"years_experience": -1}, "years_experience"),
    ({"years_experience": 2**70}, "years_experience"),
])
def test_bad_profile_fields_are_400_with_a_message(api, candidate, body, field) -> None:  # noqa: ANN001
    api.force_authenticate(candidate)
    response = api.patch("/api/v1/me/", body, format="json")
    assert response.status_code == 400 and response.json()[field], response.content
    candidate.refresh_from_db()
    assert candidate.persona == "friendly" and candidate.skills == []  # nothing half-saved


@pytest.mark.django_db
def test_a_saved_bad_persona_does_not_block_creating_interviews(api, world, candidate) -> None:  # noqa: ANN001
    type(candidate).objects.filter(pk=candidate.pk).update(persona="pirate")  # a row from before validation
    api.force_authenticate(candidate)
    response = api.post("/api/v1/interviews/", {"mode": "technical", "topics": [TOPIC], "count": 1}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["persona"] == "friendly"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["difficulty=9", "difficulty=0", "difficulty=abc", f"difficulty={2**64}"])
def test_out_of_range_filters_are_400_not_ignored(api, candidate, query) -> None:  # noqa: ANN001
    api.force_authenticate(candidate)
    response = api.get(f"/api/v1/bank/questions/?{query}")
    assert response.status_code == 400 and "difficulty" in response.json()


# --- cohorts -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cohort_dashboard_and_member_report(api, world, instructor, candidate) -> None:  # noqa: ANN001
    api.force_authenticate(instructor)
    data = api.get(f"/api/v1/cohorts/{world.cohort.pk}/").json()
    assert data["cohort"]["name"] == "Spring cohort"
    assert [m["email"] for m in data["members"]] == ["cand@example.com"]
    assert data["averages"] == {"content": 62.0, "delivery": 70.0, "pace_wpm": None, "answers": 1}
    assert data["weakest"][0]["subtopic"] == "Indexes"
    assert data["members"][0]["progress"][0]["content"] == 62.0
    assert data["assignments"][0]["assignment"]["title"] == "Indexes drill"
    report = api.get(f"/api/v1/cohorts/{world.cohort.pk}/members/{candidate.pk}/interviews/{world.session.pk}/")
    assert report.status_code == 200
    assert report.json()["report"]["data"] == {"summary": "Solid basics."}
    assert report.json()["interview"]["questions"][0]["answers"][0]["content_score"] == 62.0


@pytest.mark.django_db
def test_cohort_and_assignment_refusals(api, world, instructor) -> None:  # noqa: ANN001
    api.force_authenticate(instructor)
    dup = api.post("/api/v1/cohorts/", {"name": "spring COHORT"}, format="json")
    assert dup.status_code == 400 and "already" in dup.json()["detail"]
    url = f"/api/v1/cohorts/{world.cohort.pk}/assignments/"
    assert api.post(url, {"topics": ["nope"]}, format="json").json()["detail"] == "Unknown topic."
    assert api.post(url, {"due_at": "2000-01-01T00:00:00Z"}, format="json").status_code == 400
    assert api.post(url, {"question_count": 0}, format="json").status_code == 400
    bad_join = api.post("/api/v1/cohorts/join/", {"invite_code": "wrong"}, format="json")
    assert bad_join.status_code == 400


@pytest.mark.django_db
def test_member_assignments_and_one_call_start(api, world, candidate) -> None:  # noqa: ANN001
    api.force_authenticate(candidate)
    mine = api.get("/api/v1/assignments/").json()
    assert [(a["title"], a["done"], a["overdue"]) for a in mine] == [("Indexes drill", False, False)]
    started = api.post(f"/api/v1/assignments/{world.assignment.pk}/start/")
    assert started.status_code == 201
    assert started.json()["assignment"] == world.assignment.pk and len(started.json()["questions"]) == 2


# --- schema -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_schema_generates_and_validates_without_warnings(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/interviews/", "/api/v1/cohorts/{id}/", "/api/v1/bank/questions/", "/api/v1/auth/token/"):
        assert f"  {path}:" in text, path
    assert "tokenAuth" in text and "cookieAuth" in text


@pytest.mark.django_db
def test_docs_page_serves_offline_assets(client) -> None:  # noqa: ANN001
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page and "/static/drf_spectacular_sidecar/" in page and "cdn" not in page.lower()


@pytest.mark.django_db
def test_docs_page_runs_under_the_sites_csp(client) -> None:  # noqa: ANN001
    """The CSP allows scripts and styles from this origin only: the page must have no inline ones, and every
    script and stylesheet it names must load (the init script too, as JavaScript)."""
    import re

    from django.contrib.staticfiles import finders

    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline <script> refused by the CSP"
    assert "<style" not in page and " style=" not in page
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert len(assets) >= 5
    for url in assets:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
        else:
            loaded = client.get(url.replace("&amp;", "&"))
            assert loaded.status_code == 200, url
            assert "javascript" in loaded["Content-Type"] and "SwaggerUIBundle" in loaded.content.decode()


# --- token lifetime -----------------------------------------------------------------------------------------------


def _token_for(user) -> str:  # noqa: ANN001
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def _token_works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_password_change_on_the_page_revokes_api_tokens(candidate) -> None:  # noqa: ANN001
    from django.test import Client

    key = _token_for(candidate)
    assert _token_works(key)
    page = Client()
    page.force_login(candidate)
    new = "another-long-pass-42"
    response = page.post("/accounts/password/change/", {"old_password": PASSWORD, "new_password1": new,
                                                        "new_password2": new})
    assert response.status_code == 302
    assert not _token_works(key)


@pytest.mark.django_db
def test_password_reset_revokes_api_tokens(candidate) -> None:  # noqa: ANN001
    from django.contrib.auth.tokens import default_token_generator
    from django.test import Client
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    key = _token_for(candidate)
    client = Client()
    url = f"/accounts/password/reset/{urlsafe_base64_encode(force_bytes(candidate.pk))}/" \
          f"{default_token_generator.make_token(candidate)}/"
    form_url = client.get(url, follow=True).redirect_chain[-1][0]
    new = "another-long-pass-42"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert not _token_works(key)


@pytest.mark.django_db
def test_admin_password_change_and_set_password_revoke_api_tokens(candidate) -> None:  # noqa: ANN001
    from django.test import Client

    from accounts.models import User

    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    key = _token_for(candidate)
    client = Client()
    client.force_login(admin)
    new = "another-long-pass-42"
    response = client.post(f"/admin/accounts/user/{candidate.pk}/password/",
                           {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302, response.content[:500]
    assert not _token_works(key)
    # Any other path (manage.py changepassword, a shell) goes through set_password() and save().
    key = _token_for(candidate)
    candidate.refresh_from_db()
    candidate.set_password("yet-another-pass-43")
    candidate.save()
    assert not _token_works(key)
    # Saving without a new password keeps the token.
    key = _token_for(candidate)
    candidate.full_name = "Renamed"
    candidate.save()
    assert _token_works(key)


@pytest.mark.django_db
def test_expired_token_is_401_and_a_new_one_is_issued(api, candidate, settings) -> None:  # noqa: ANN001
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    settings.API_TOKEN_TTL_DAYS = 7
    key = _token_for(candidate)
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=8))
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    fresh = APIClient().post("/api/v1/auth/token/", {"email": candidate.email, "password": PASSWORD},
                             format="json").json()["token"]
    assert fresh != key and _token_works(fresh)
    settings.API_TOKEN_TTL_DAYS = 0  # never expire
    Token.objects.filter(key=fresh).update(created=timezone.now() - timedelta(days=3650))
    assert _token_works(fresh)


@pytest.mark.django_db
def test_every_operation_documents_its_error_responses(client) -> None:  # noqa: ANN001
    schema = client.get("/api/schema/?format=json").json()
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) > 30
    for path, method, op in operations:
        missing = {"400", "401", "403", "404", "429"} - set(op["responses"])
        assert not missing, f"{method.upper()} {path} lacks {sorted(missing)}"
        for code in ("401", "429"):  # (a view may describe its own 400/403/404 more precisely)
            assert op["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
