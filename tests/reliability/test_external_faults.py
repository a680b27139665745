"""AssemblyAI and Gemini failing under load: several answers spoken at once through the real ASGI app with the
real SDK clients pointed at failing fakes on 127.0.0.1; every answer must still be transcribed by local whisper,
scored and given feedback by the offline coach, and the page told so."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from sessions.models import Answer, AnswerStatus
from tests.audio.test_consumer import connect, send
from tests.fakes.assemblyai_server import FakeAssemblyAI, script_from_text
from tests.fakes.gemini_server import gemini_fake, gemini_server  # noqa: F401 - fixtures
from tests.helpers import frames, read_wav_pcm16, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(900)]

CONCURRENT_ANSWERS = 4


def make_interviews(count: int) -> list[tuple[object, object, object]]:
    from accounts.models import User
    from mastery.models import Subtopic, Topic
    from sessions.models import InterviewSession, SessionQuestion

    topic, _ = Topic.objects.get_or_create(slug="speeches", defaults={"name": "Speeches"})
    sub, _ = Subtopic.objects.get_or_create(topic=topic, slug="rhetoric", defaults={"name": "Rhetoric"})
    out = []
    for i in range(count):
        user = User.objects.create_user(email=f"load{i}@example.com", password="x-pass-12345-long")
        session = InterviewSession.objects.create(owner=user, planned_count=1)
        question = SessionQuestion.objects.create(
            session=session, position=1, text="What did the president ask of Americans?", topic=topic,
            subtopic=sub, reference_answer="He asked them not what their country can do for them but what they "
                                           "can do for their country.",
            key_points=["ask what you can do for your country"])
        out.append((user, session, question))
    return out


async def speak_one(user, session, question, pcm: bytes) -> dict:  # noqa: ANN001
    communicator, connected = await connect(session.pk, user)
    assert connected
    ready = await receive_until(communicator, "ready")
    assert ready["engine"] == "assemblyai"  # the key is set: the remote engine is tried first
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started", timeout=30)
    for chunk in frames(pcm):
        await communicator.send_to(bytes_data=chunk)
        await asyncio.sleep(len(chunk) / 32000 / 4)  # 4x real time: the fakes' faults trigger mid-stream
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended", timeout=120)
    assert ended["received_bytes"] == len(pcm)
    await communicator.disconnect()
    return started


@pytest.fixture
def pipeline_pool(monkeypatch):  # noqa: ANN001, ANN201
    """The in-process task pool, with one thread on the in-memory SQLite test database.

    pytest-django's in-memory SQLite runs in shared-cache mode, where two writing threads get SQLITE_LOCKED
    ("database table is locked"), which no busy timeout retries; the embedded mode's real file database (WAL, a
    20 s busy timeout) and PostgreSQL wait instead. The sockets still run concurrently; only the scoring is
    serialised there.
    """
    from django.db import connection

    from pipeline.tasking import PriorityPool

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    pool = PriorityPool(workers=1, name="tasks-test")
    monkeypatch.setattr("pipeline.tasking._pool", pool)
    yield
    pool.shutdown(wait=True)


async def test_every_answer_is_scored_locally_when_assemblyai_and_gemini_fail(settings, speech_dir, gemini_fake,  # noqa: F811
                                                                               bank, pipeline_pool):
    from pipeline.tasking import embedded_wait

    settings.LIVE_CAPTIONS = "auto"
    settings.AUDIO_MAX_REALTIME_FACTOR = 1000.0
    gemini_fake.reset(mode="500")
    pcm = read_wav_pcm16(speech_dir / "jfk.wav")
    assembly = FakeAssemblyAI(api_key="aai-key", mode="close", fail_after_s=2.0,
                              script=script_from_text("And so my fellow Americans ask not"))
    await assembly.start()
    settings.ASSEMBLYAI_API_KEY = "aai-key"
    settings.ASSEMBLYAI_HOST = assembly.host
    settings.ASSEMBLYAI_TIMEOUT_S = 1.0
    try:
        interviews = await sync_to_async(make_interviews)(CONCURRENT_ANSWERS)
        started = await asyncio.gather(*[speak_one(u, s, q, pcm) for u, s, q in interviews])
    finally:
        await assembly.stop()
    assert await sync_to_async(embedded_wait)(600)

    answers = await sync_to_async(lambda: list(Answer.objects.filter(
        pk__in=[s["answer_id"] for s in started]).order_by("pk")))()
    assert len(answers) == CONCURRENT_ANSWERS
    for answer in answers:
        assert answer.status == AnswerStatus.SCORED, (answer.pk, answer.status, answer.error)
        # The live AssemblyAI transcript was dropped after its fault: the final one was made locally from the file.
        assert answer.transcript_engine == "whisper-tiny.en"
        assert "country" in answer.transcript.lower()
        assert answer.feedback_engine == "offline" and answer.feedback
        assert answer.content_score is not None and answer.audio_bytes == len(pcm)
    # Both services were really tried, once per answer at least (Gemini's 5xx with its retries).
    assert len(assembly.sessions) >= CONCURRENT_ANSWERS
    assert len(gemini_fake.requests) >= CONCURRENT_ANSWERS
