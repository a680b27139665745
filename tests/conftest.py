"""Fixtures shared by every test: isolated media and index folders, users of each role, the question bank,
and gates for what the machine may lack (PostgreSQL, Redis, shared speech, system tools).

A gate skips with a clear reason on a developer's machine and fails under CI (`CI` set), where everything must
be present.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The shared recordings sit beside the clone; SHARED_SPEECH_DIR points elsewhere (a git worktree, a CI cache).
SHARED_SPEECH = Path(os.environ.get("SHARED_SPEECH_DIR") or ROOT.parent / "shared" / "speech")
IN_CI = bool(os.environ.get("CI"))
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct-horse-battery-9"


def require(condition: bool, reason: str) -> None:
    """Skip when `condition` is false, or fail under CI where nothing may be missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def _port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    require(_port_open(POSTGRES_URL, 5432), f"PostgreSQL not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    require(_port_open(REDIS_TEST_URL, 6379), f"Redis not reachable at {REDIS_TEST_URL}")
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    require(SHARED_SPEECH.is_dir(), f"real speech samples not found at {SHARED_SPEECH}")
    return SHARED_SPEECH


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    def find(name: str) -> str:
        path = shutil.which(name)
        require(path is not None, f"{name} is not installed")
        return str(path)

    return find


def _django_settings(request: pytest.FixtureRequest):  # noqa: ANN202
    # Pure tests (DSP, fakes) may run with `-p no:django`; then there are no settings to isolate.
    if not request.config.pluginmanager.hasplugin("django"):
        return None
    return request.getfixturevalue("settings")


@pytest.fixture(autouse=True)
def _isolated_files(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Audio, uploads and per-user indexes go to a fresh folder per test; never into var/."""
    settings = _django_settings(request)
    if settings is None:
        return
    base = tmp_path_factory.mktemp("var")
    settings.MEDIA_ROOT = base / "media"
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture(scope="session")
def _bank_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faiss")


@pytest.fixture(autouse=True)
def _isolated_index(request: pytest.FixtureRequest, _bank_index_dir: Path) -> None:
    # One FAISS folder for the whole run: the bank index is built once, per-user indexes are keyed by user id.
    settings = _django_settings(request)
    if settings is not None:
        settings.FAISS_DIR = _bank_index_dir


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: ANN001, ANN201
    """The real question bank is loaded once into the test database (it is data, not a fixture to fake)."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_bank", verbosity=0)


@pytest.fixture
def bank(db) -> None:  # noqa: ANN001
    """For transactional tests, whose flush empties the tables: load the bank again (idempotent)."""
    from rag.models import BankQuestion

    if not BankQuestion.objects.exists():
        from django.core.management import call_command

        call_command("load_bank", verbosity=0)


def make_user(email: str, *, role: str = "candidate", **extra: object):  # noqa: ANN201
    from accounts.models import User

    return User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)


@pytest.fixture
def candidate(db):  # noqa: ANN001, ANN201
    return make_user("cand@example.com", full_name="Cara Candidate")


@pytest.fixture
def other_candidate(db):  # noqa: ANN001, ANN201
    return make_user("other@example.com", full_name="Otto Other")


@pytest.fixture
def instructor(db):  # noqa: ANN001, ANN201
    return make_user("teach@example.com", role="instructor", full_name="Ines Instructor")


@pytest.fixture
def other_instructor(db):  # noqa: ANN001, ANN201
    return make_user("teach2@example.com", role="instructor", full_name="Ivan Instructor")


@pytest.fixture
def admin(db):  # noqa: ANN001, ANN201
    from accounts.models import User

    return User.objects.create_superuser(email="root@example.com", password=PASSWORD)


@pytest.fixture
def candidate_client(client, candidate):  # noqa: ANN001, ANN201
    client.force_login(candidate)
    return client


@pytest.fixture
def answer_factory(db):  # noqa: ANN001, ANN201
    """Stores a session question and an answer as the pipeline would have left it (no pipeline run).

    `make(user=..., session=None, kind="technical"|"behavioral", question=..., reference_answer=..., key_points=(),
    **answer_fields)`; a new completed session is created unless one is given.
    """
    from django.utils import timezone

    from mastery.models import Subtopic, Topic
    from sessions.models import Answer, AnswerStatus, InterviewSession, QuestionStatus, SessionQuestion, SessionStatus

    def make(*, user, session=None, kind: str = "technical", question: str = "Explain database indexes.",  # noqa: ANN001, ANN202
             reference_answer: str = "", key_points: tuple[str, ...] = (), subtopic: str = "general",
             position: int | None = None, **answer_fields):
        topic, _ = Topic.objects.get_or_create(slug=f"factory-{kind}",
                                               defaults={"name": f"Factory {kind}", "kind": kind})
        sub, _ = Subtopic.objects.get_or_create(topic=topic, slug=subtopic, defaults={"name": subtopic.title()})
        if session is None:
            now = timezone.now()
            session = InterviewSession.objects.create(owner=user, status=SessionStatus.COMPLETED, started_at=now,
                                                      finished_at=now)
        if position is None:
            position = session.questions.count() + 1
        q = SessionQuestion.objects.create(session=session, position=position, text=question, topic=topic,
                                           subtopic=sub, reference_answer=reference_answer,
                                           key_points=list(key_points), status=QuestionStatus.ANSWERED)
        fields = {"status": AnswerStatus.SCORED, "ended_at": timezone.now(), **answer_fields}
        return Answer.objects.create(question=q, user=user, **fields)

    return make


@pytest.fixture
def pipeline_calls(monkeypatch):  # noqa: ANN001, ANN201
    """Record pipeline enqueues instead of running transcription and scoring (for tests about the socket)."""
    calls: list[int] = []
    monkeypatch.setattr("pipeline.chain.answer_pipeline_enqueue",
                        lambda *, answer_id, force=False: calls.append(answer_id))
    return calls
