"""Hostile input beyond the consumer fuzz: CSRF on every POST route, WebSocket origins, hostile uploads, rate limits,
`check --deploy` with production settings, security headers."""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from interviewprep.asgi import application
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


# --- CSRF on every route that could take a POST ---------------------------------------------------------------

def _walk(patterns: list, prefix: str = ""):  # noqa: ANN202
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _sample_path(route: str) -> str | None:
    """A concrete path for a route: converters filled with 1 / 'x'; regex routes with their groups filled."""
    route = re.sub(r"<(?:int|id):\w+>", "1", route)
    route = re.sub(r"<(?:path|str|slug|uuid)?:?\w+>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = route.replace("^", "").replace("$", "")
    if re.search(r"[\\()\[\]?*+|]", route):
        return None  # a regex we cannot fill by hand; none today
    return "/" + route


def _post_routes() -> list[str]:
    paths = []
    for route in _walk(get_resolver().url_patterns):
        path = _sample_path(route)
        if path is None:
            continue
        try:
            resolve(path)
        except Exception:  # noqa: BLE001 - a sample the route's own regex rejects (admin's app_label choice)
            continue
        paths.append(path)
    return sorted(set(paths))


ROUTES = _post_routes()


def test_the_route_walk_covers_pages_forms_api_and_admin():
    # Guards the walk itself: an empty or partial list would make the CSRF test below vacuous.
    for needle in ("/accounts/login/", "/accounts/signup/", "/interviews/new/", "/interviews/1/finish/",
                   "/api/v1/interviews/", "/api/v1/resumes/", "/admin/login/", "/mastery/reset/"):
        assert needle in ROUTES, needle
    assert len(ROUTES) > 80


@pytest.mark.django_db
def test_post_without_a_csrf_token_is_refused_everywhere_for_a_signed_in_user(admin):
    """A forged cross-site POST rides the victim's session cookie: every route must answer 403 before acting.
    (DRF views are csrf-exempt for Django but SessionAuthentication enforces CSRF for cookie-authenticated
    requests.) The admin user reaches the most views."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    accepted = {}
    for path in ROUTES:
        response = client.post(path, {"email": "x@example.com", "text": "x", "name": "x"})
        if response.status_code != 403:
            accepted[path] = response.status_code
    assert accepted == {}


@pytest.mark.django_db
def test_post_without_a_csrf_token_is_refused_on_every_page_for_anonymous_visitors(db):
    """Login CSRF and forged signups: anonymous form posts need the token as well (the API is token-based and
    keeps no session, so it is left to its own authentication)."""
    client = Client(enforce_csrf_checks=True)
    accepted = {}
    for path in ROUTES:
        if path.startswith("/api/"):
            continue
        response = client.post(path, {"username": "x@example.com", "password": "x"})
        if response.status_code != 403:
            accepted[path] = response.status_code
    assert accepted == {}


@pytest.mark.django_db
def test_the_same_post_with_the_token_goes_through(candidate):
    """The control: with the cookie's token the very same request is not refused, so 403 above is CSRF."""
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("accounts:login"), {"username": candidate.email, "password": PASSWORD,
                                                       "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- WebSocket origin -----------------------------------------------------------------------------------------

async def _ws_connect(headers: list[tuple[bytes, bytes]]) -> bool:
    communicator = WebsocketCommunicator(application, "/ws/interview/1/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [None, b"http://evil.example", b"null", b"http://testserver.evil.example",
                                    b"http://evil.example/testserver", b"http://testserver:8080",
                                    b"https://testserver", b"http://testserver:80/x", b"ftp://testserver"])
async def test_websocket_without_an_allowed_origin_is_refused(candidate, origin):
    from tests.audio.test_consumer import cookie_for

    headers = [(b"host", b"testserver"), (b"cookie", await sync_to_async(cookie_for)(candidate))]
    if origin is not None:
        headers.append((b"origin", origin))
    assert not await _ws_connect(headers)


@pytest.mark.django_db(transaction=True)
async def test_websocket_with_the_site_origin_is_accepted(candidate):
    from tests.audio.test_consumer import cookie_for

    assert await _ws_connect([(b"host", b"testserver"), (b"origin", b"http://testserver"),
                              (b"cookie", await sync_to_async(cookie_for)(candidate))])
    # The default port written out is the same origin; another port on the same host is not (above).
    assert await _ws_connect([(b"host", b"testserver:8001"), (b"origin", b"http://testserver:8001"),
                              (b"cookie", await sync_to_async(cookie_for)(candidate))])
    assert await _ws_connect([(b"host", b"testserver"), (b"origin", b"http://testserver:80"),
                              (b"cookie", await sync_to_async(cookie_for)(candidate))])


# --- uploads --------------------------------------------------------------------------------------------------

RESUME_TEXT = ("Jane Doe\nExperience\nBackend engineer at Acme 2019-2024. Built a queue in Python and Go.\n"
               "Skills\nPython, PostgreSQL, Redis, Docker, Kubernetes\n") * 3


def zip_bomb_docx(uncompressed_mb: int = 200) -> bytes:
    """A DOCX-shaped zip whose document.xml inflates to `uncompressed_mb` MB of zeros (a few hundred kB packed).
    Written in chunks so building it needs no such memory either."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as handle:
            chunk = b"\0" * (1 << 20)
            for _ in range(uncompressed_mb):
                handle.write(chunk)
    return buffer.getvalue()


def _upload_api(client: Client, name: str, data: bytes):  # noqa: ANN202
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/resumes/", {"file": SimpleUploadedFile(name, data)})


@pytest.mark.django_db
@pytest.mark.parametrize("name, data, words", [
    ("cv.pdf", b"%PDF-1.4\n" + b"A" * (5 * 1024 * 1024), "limit"),
    ("cv.pdf", b"MZ\x90\x00" + os.urandom(4000), "named .pdf"),
    ("cv.docx", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "named .docx"),
    ("cv.txt", b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 40, "named .txt"),
    ("cv.exe", RESUME_TEXT.encode(), "PDF, DOCX or TXT"),
    ("cv.pdf", b"", "empty"),
])
def test_hostile_uploads_are_refused_with_a_message(candidate, name, data, words):
    from accounts.models import Resume

    client = Client()
    client.force_login(candidate)
    response = _upload_api(client, name, data)
    assert response.status_code == 400, response.content[:300]
    assert words in response.content.decode()
    assert not Resume.objects.filter(user=candidate).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name, data, words", [
    ("cv.docx", None, "unreasonable size"),
    ("cv.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\n0 9999999\ntrailer\n<<", "PDF"),
    ("cv.pdf", b"%PDF-1.4\n" + os.urandom(3000), "PDF"),
    ("cv.docx", b"PK\x03\x04" + os.urandom(2000), None),
])
def test_zip_bomb_and_broken_files_fail_processing_not_the_server(candidate, name, data, words):
    """Files whose magic number is right but whose body is hostile: accepted as uploads or refused up front, and
    if accepted, processing ends `failed` with a message; memory stays bounded (the bomb is never inflated)."""
    import tracemalloc

    from accounts.models import ProcessingStatus, Resume
    from rag.services import resume_process

    data = zip_bomb_docx() if data is None else data
    client = Client()
    client.force_login(candidate)
    response = _upload_api(client, name, data)
    if response.status_code == 400:  # refused at upload: fine, as long as it says why
        assert response.json()["detail"]
        return
    assert response.status_code == 201, response.content[:300]
    resume = Resume.objects.get(user=candidate)
    tracemalloc.start()
    try:
        resume = resume_process(resume_id=resume.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resume.status == ProcessingStatus.FAILED
    assert resume.error and (words is None or words in resume.error)
    assert peak < 50 * 2 ** 20, f"processing a hostile file peaked at {peak / 2 ** 20:.0f} MB"


def test_upload_page_refuses_hostile_files(candidate, db):
    """The HTML upload page refuses what the API refuses."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Resume

    client = Client()
    client.force_login(candidate)
    for name, data in (("cv.pdf", b"MZ" + os.urandom(100)), ("cv.docx", zip_bomb_docx(50))):
        response = client.post(reverse("rag:resume_upload"), {"file": SimpleUploadedFile(name, data)})
        assert response.status_code < 500
    assert not Resume.objects.filter(user=candidate, status="ready").exists()


# --- rate limits ----------------------------------------------------------------------------------------------

@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m", "signup": "3/m", "upload": "3/m",
                            "interview_create": "3/h"}
    cache.clear()
    yield
    cache.clear()


def _codes(send, n: int = 5) -> list[int]:  # noqa: ANN001
    return [send(i).status_code for i in range(n)]


@pytest.mark.django_db
def test_login_page_and_token_api_are_limited(limits, candidate):
    client = Client()
    page = _codes(lambda i: client.post(reverse("accounts:login"), {"username": candidate.email, "password": "no"}))
    assert page[:3] == [200] * 3 and page[3:] == [429, 429]
    # Same IP, another client: the token API is already out of this window's login budget.
    api = Client()
    tokens = _codes(lambda i: api.post("/api/v1/auth/token/", {"email": candidate.email, "password": "no"}), 2)
    assert tokens == [429, 429]
    cache.clear()
    tokens = _codes(lambda i: api.post("/api/v1/auth/token/", {"email": candidate.email, "password": "no"}))
    assert 429 not in tokens[:3] and tokens[3:] == [429, 429]


@pytest.mark.django_db
def test_admin_login_is_limited_in_the_login_counter(limits, candidate):
    """/admin/login/ had no limit; now it shares the login budget with the page and the token API (one IP)."""
    client = Client()
    admin_codes = _codes(lambda i: client.post("/admin/login/", {"username": candidate.email, "password": "no"}))
    assert admin_codes[:3] == [200] * 3 and admin_codes[3:] == [429, 429]
    cache.clear()
    mixed = [client.post(reverse("accounts:login"), {"username": candidate.email, "password": "no"}).status_code,
             client.post("/admin/login/", {"username": candidate.email, "password": "no"}).status_code,
             client.post("/api/v1/auth/token/", {"email": candidate.email, "password": "no"}).status_code,
             client.post("/admin/login/", {"username": candidate.email, "password": "no"}).status_code,
             client.post(reverse("accounts:login"), {"username": candidate.email, "password": "no"}).status_code]
    assert 429 not in mixed[:3] and mixed[3:] == [429, 429], mixed


@pytest.mark.django_db
def test_page_and_api_share_one_counter_per_user(limits, candidate):
    """Each limit used to be doubled: the page and the API counted separately."""
    client = Client()
    client.force_login(candidate)
    codes = [client.post(reverse("interviews:new"), {"mode": "technical", "count": "1"}).status_code,
             client.post("/api/v1/interviews/", {"mode": "technical", "count": 1},
                         content_type="application/json").status_code,
             client.post(reverse("interviews:new"), {"mode": "technical", "count": "1"}).status_code,
             client.post("/api/v1/interviews/", {"mode": "technical", "count": 1},
                         content_type="application/json").status_code,
             client.post(reverse("interviews:new"), {"mode": "technical", "count": "1"}).status_code]
    assert 429 not in codes[:3] and codes[3:] == [429, 429], codes


@pytest.mark.django_db
def test_signup_is_limited_and_the_refused_ones_create_nothing(limits):
    from accounts.models import User

    client = Client()

    def signup(i: int):  # noqa: ANN202
        client.logout()
        return client.post(reverse("accounts:signup"), {"email": f"rl{i}@example.com", "password1": "a-long-pass-91",
                                                        "password2": "a-long-pass-91"})

    codes = _codes(signup)
    assert codes[3:] == [429, 429] and 429 not in codes[:3]
    assert User.objects.filter(email__startswith="rl").count() == 3


@pytest.mark.django_db
def test_interview_creation_is_limited_on_the_page_and_the_api(limits, candidate):
    from sessions.models import InterviewSession

    client = Client()
    client.force_login(candidate)
    page = _codes(lambda i: client.post(reverse("interviews:new"), {"mode": "technical", "count": "1"}))
    assert 429 not in page[:3] and page[3:] == [429, 429]
    cache.clear()  # the page and the API share the counter (test_page_and_api_share_one_counter_per_user)
    api = _codes(lambda i: client.post("/api/v1/interviews/", {"mode": "technical", "count": 1},
                                       content_type="application/json"))
    assert 429 not in api[:3] and api[3:] == [429, 429]
    # The refused requests created nothing beyond what the allowed ones may have.
    assert InterviewSession.objects.filter(owner=candidate).count() <= 6


@pytest.mark.django_db
def test_uploads_are_limited(limits, candidate):
    client = Client()
    client.force_login(candidate)
    codes = _codes(lambda i: _upload_api(client, f"cv{i}.txt", RESUME_TEXT.encode()))
    assert 429 not in codes[:3] and codes[3:] == [429, 429]
    response = _upload_api(client, "late.txt", RESUME_TEXT.encode())
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_limits_are_per_user_not_global(limits, candidate, other_candidate):
    first, second = Client(), Client()
    first.force_login(candidate)
    second.force_login(other_candidate)
    assert _codes(lambda i: first.post(reverse("interviews:new"), {"mode": "technical"}), 4)[3] == 429
    assert second.post(reverse("interviews:new"), {"mode": "technical"}).status_code != 429


# --- production settings ---------------------------------------------------------------------------------------

def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "PRODUCTION", "ALLOWED_HOSTS")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", PRODUCTION="1",
                     SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="interview.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_production_refuses_weak_keys_at_startup_and_needs_a_key():
    # Not just a check --deploy warning: any command (the server included) refuses to start with a weak key.
    for weak_key in ("x", "short", "a" * 80, "django-insecure-" + secrets.token_urlsafe(50)):
        weak = _manage("check", PRODUCTION="1", SECRET_KEY=weak_key, ALLOWED_HOSTS="interview.example.com")
        assert weak.returncode != 0 and "SECRET_KEY is too weak" in weak.stderr, weak_key
    # CI's key: 64 random hex characters.
    ci_key = _manage("check", PRODUCTION="1", SECRET_KEY="ci-" + secrets.token_hex(32),
                     ALLOWED_HOSTS="interview.example.com")
    assert ci_key.returncode == 0, ci_key.stderr
    missing = _manage("check", PRODUCTION="1", ALLOWED_HOSTS="interview.example.com")
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr


# --- security headers -----------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("path, signed_in", [("/", False), ("/accounts/login/", False), ("/dashboard/", True),
                                             ("/interviews/new/", True), ("/api/v1/me/", True),
                                             ("/no-such-page/", False)])
def test_security_headers_on_pages(candidate, path, signed_in):
    client = Client()
    if signed_in:
        client.force_login(candidate)
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
