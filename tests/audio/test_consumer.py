"""The interview socket through the real ASGI app (origin check, auth middleware, routing), one client at a time."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import SESSION_KEY
from django.test import Client

from interviewprep.asgi import application
from sessions.models import Answer, AnswerStatus, InterviewSession, SessionQuestion
from tests.helpers import frames, receive_until, speech_with_pauses, to_pcm16

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _socket_settings(settings):
    settings.LIVE_CAPTIONS = "off"
    settings.AUDIO_MAX_REALTIME_FACTOR = 1000.0  # tests stream faster than real time; the flood test lowers it


def make_session(user) -> tuple[InterviewSession, SessionQuestion]:
    from mastery.models import Topic

    topic, _ = Topic.objects.get_or_create(slug="python", defaults={"name": "Python"})
    session = InterviewSession.objects.create(owner=user, planned_count=2)
    q1 = SessionQuestion.objects.create(session=session, position=1, text="What is a generator?", topic=topic)
    SessionQuestion.objects.create(session=session, position=2, text="What is the GIL?", topic=topic)
    return session, q1


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    assert client.session[SESSION_KEY]
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(session_id: int, user=None, *, origin: bytes = b"http://testserver"):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(cookie_for)(user)))
    communicator = WebsocketCommunicator(application, f"/ws/interview/{session_id}/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def expect_close(communicator, code: int) -> None:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close", message
    assert message.get("code") == code


async def send(communicator, payload: dict) -> None:
    await communicator.send_to(text_data=json.dumps(payload))


# --- who may connect ---------------------------------------------------------------------------------------

async def test_anonymous_is_closed_with_4401(candidate):
    session, _ = await sync_to_async(make_session)(candidate)
    communicator, connected = await connect(session.pk)
    assert connected
    await expect_close(communicator, 4401)


async def test_another_users_interview_closes_like_an_unknown_one(candidate, other_candidate):
    """4404 for both: a different code would tell a stranger that the interview exists."""
    session, _ = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, other_candidate)
    await expect_close(communicator, 4404)


async def test_an_id_beyond_64_bits_is_not_routed(candidate):
    communicator = WebsocketCommunicator(application, f"/ws/interview/{2**64}/",
                                         headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")])
    with pytest.raises(ValueError, match="No route found"):
        await communicator.connect(timeout=5)


async def test_unknown_session_is_closed_with_4404(candidate):
    communicator, _ = await connect(987654, candidate)
    await expect_close(communicator, 4404)


async def test_foreign_origin_is_refused(candidate):
    session, _ = await sync_to_async(make_session)(candidate)
    _, connected = await connect(session.pk, candidate, origin=b"http://evil.example")
    assert not connected


async def test_owner_gets_ready_and_ping_pong(candidate):
    session, _ = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    ready = await receive_until(communicator, "ready")
    assert ready["session_id"] == session.pk and ready["answer_in_progress"] is None
    await send(communicator, {"type": "ping", "t": 42})
    pong = await receive_until(communicator, "pong")
    assert pong["t"] == 42
    await communicator.disconnect()


# --- one whole answer ----------------------------------------------------------------------------------

async def test_full_answer_streams_metrics_and_stores_aggregates(candidate, pipeline_calls, settings):
    settings.AUDIO_METRICS_PER_SECOND = 1e6  # a metrics event per frame (even 1 ms apart): not timing-dependent
    session, question = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started")
    assert started["question_id"] == question.pk and started["attempt"] == 1 and started["received_bytes"] == 0

    pcm = to_pcm16(speech_with_pauses([("pause", 0.5), ("speech", 1.5), ("pause", 0.8), ("speech", 1.5),
                                       ("pause", 0.4)]))
    seen: list[dict] = []
    for frame in frames(pcm):
        await communicator.send_to(bytes_data=frame)
        await asyncio.sleep(0.01)
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended", collect=seen)
    metrics = [e for e in seen if e["type"] == "metrics"]
    assert metrics, "no metrics event"
    assert {"loudness_dbfs", "pitch_hz", "voiced", "in_pause", "pause_count", "speaking_time_s"} <= set(metrics[-1])
    assert any(m["voiced"] for m in metrics)
    assert ended["received_bytes"] == len(pcm)
    aggregates = ended["aggregates"]
    assert aggregates["duration_s"] == pytest.approx(len(pcm) / 32000, abs=0.01)
    assert aggregates["pause_count"] == 1  # the 0.8 s gap; leading and trailing silence are not pauses

    answer = await sync_to_async(Answer.objects.get)(pk=ended["answer_id"])
    assert answer.status == AnswerStatus.PROCESSING
    assert answer.signal["pause_count"] == 1 and answer.contour and answer.signal["pauses"]
    assert answer.audio_path.read_bytes() == pcm  # every byte stored, in order
    assert pipeline_calls == [answer.pk]
    await communicator.disconnect()


async def test_metrics_are_rate_limited_to_five_per_second(candidate, pipeline_calls):
    session, question = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    await receive_until(communicator, "answer.started")
    pcm = to_pcm16(speech_with_pauses([("speech", 3.0)]))
    loop = asyncio.get_running_loop()
    began = loop.time()
    for frame in frames(pcm, 1024):  # 94 frames over ~0.5 s
        await communicator.send_to(bytes_data=frame)
        await asyncio.sleep(0.005)
    seen: list[dict] = []
    await send(communicator, {"type": "answer.end"})
    await receive_until(communicator, "answer.ended", collect=seen)
    elapsed = loop.time() - began
    count = sum(1 for e in seen if e["type"] == "metrics")
    assert 1 <= count <= 5 * elapsed + 1
    await communicator.disconnect()


# --- bad input: an error event, and the socket stays usable --------------------------------------------

@pytest.mark.parametrize("payload, code", [
    ("not json at all", "bad_json"),
    ("[1, 2, 3]", "bad_message"),
    (json.dumps({"type": "dance"}), "unknown_type"),
    (json.dumps({"type": "answer.start", "question_id": "seven"}), "bad_message"),
    (json.dumps({"type": "answer.start", "question_id": 99999999}), "unknown_question"),
    (json.dumps({"type": "answer.end"}), "no_answer"),
    (json.dumps({"type": "answer.resume", "answer_id": 99999999}), "unknown_answer"),
    ("x" * 5000, "frame_too_large"),
])
async def test_bad_text_messages_get_an_error_and_the_socket_stays_usable(candidate, payload, code):
    session, _ = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await communicator.send_to(text_data=payload)
    error = await receive_until(communicator, "error")
    assert error["code"] == code and error["message"]
    await send(communicator, {"type": "ping", "t": 1})
    assert (await receive_until(communicator, "pong"))["t"] == 1
    await communicator.disconnect()


async def test_audio_outside_an_answer_and_oversize_frames_are_refused(candidate, pipeline_calls):
    session, question = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await communicator.send_to(bytes_data=b"\x00\x01" * 100)
    assert (await receive_until(communicator, "error"))["code"] == "no_answer"
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started")
    await communicator.send_to(bytes_data=b"\x00" * (32 * 1024 + 2))
    assert (await receive_until(communicator, "error"))["code"] == "frame_too_large"
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    assert (await receive_until(communicator, "error"))["code"] == "answer_in_progress"
    # Still recording the same answer: good audio is accepted and the oversize frame was not stored.
    await communicator.send_to(bytes_data=b"\x00\x00" * 2048)
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended")
    assert ended["answer_id"] == started["answer_id"] and ended["received_bytes"] == 4096
    await communicator.disconnect()


async def test_flood_faster_than_four_times_real_time_is_closed(candidate, pipeline_calls, settings):
    settings.AUDIO_MAX_REALTIME_FACTOR = 4.0
    session, question = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    await receive_until(communicator, "answer.started")
    chunk = to_pcm16(speech_with_pauses([("speech", 1.0)]))[:32000]
    events: list[dict] = []
    closed_with = None
    for _ in range(40):  # 40 s of audio as fast as possible
        await communicator.send_to(bytes_data=chunk)
    for _ in range(200):
        message = await communicator.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            closed_with = message.get("code")
            break
        events.append(json.loads(message["text"]))
    assert any(e["type"] == "error" and e["code"] == "too_fast" for e in events)
    assert closed_with == 4429
    # The audio received before the flood guard tripped is kept, and the answer can be resumed later.
    answer = await sync_to_async(Answer.objects.get)(question=question)
    assert answer.status == AnswerStatus.RECORDING
    assert 0 < answer.audio_path.stat().st_size < 40 * 32000


async def test_disconnect_mid_answer_then_resume_loses_nothing(candidate, pipeline_calls):
    session, question = await sync_to_async(make_session)(candidate)
    pcm = to_pcm16(speech_with_pauses([("speech", 1.0), ("pause", 0.6), ("speech", 1.0)]))
    first, rest = pcm[: 4096 * 6], pcm[4096 * 6:]

    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started")
    for frame in frames(first):
        await communicator.send_to(bytes_data=frame)
    await send(communicator, {"type": "ping", "t": 0})
    await receive_until(communicator, "pong")  # every frame before the ping was handled
    await communicator.disconnect()

    communicator, _ = await connect(session.pk, candidate)
    ready = await receive_until(communicator, "ready")
    assert ready["answer_in_progress"] == {"answer_id": started["answer_id"], "question_id": question.pk,
                                           "received_bytes": len(first)}
    await send(communicator, {"type": "answer.resume", "answer_id": started["answer_id"]})
    resumed = await receive_until(communicator, "answer.started")
    assert resumed["resumed"] and resumed["received_bytes"] == len(first)
    for frame in frames(rest):
        await communicator.send_to(bytes_data=frame)
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended")
    assert ended["received_bytes"] == len(pcm)
    assert ended["aggregates"]["duration_s"] == pytest.approx(len(pcm) / 32000, abs=0.01)
    assert ended["aggregates"]["pause_count"] == 1  # the pause spans nothing lost at the reconnect
    answer = await sync_to_async(Answer.objects.get)(pk=started["answer_id"])
    assert answer.audio_path.read_bytes() == pcm
    await communicator.disconnect()


async def test_events_from_tasks_reach_the_socket(candidate):
    from sessions.notify import session_notify

    session, _ = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    # From a worker thread, as the in-process task pool sends it.
    await asyncio.get_running_loop().run_in_executor(
        None, lambda: session_notify(session_id=session.pk, event={"type": "report.ready", "session_id": session.pk}))
    event = await receive_until(communicator, "report.ready")
    assert event["session_id"] == session.pk
    await communicator.disconnect()


# --- one writer per answer -------------------------------------------------------------------------------------

async def test_second_socket_takes_over_an_answer_and_the_audio_is_exactly_the_writers(candidate, pipeline_calls):
    """Two sockets resuming one answer both wrote its file (matching neither stream). Now the second takes over:
    the first is closed with 4409 and what it sends afterwards is not stored."""
    session, question = await sync_to_async(make_session)(candidate)
    pcm = to_pcm16(speech_with_pauses([("speech", 1.0), ("pause", 0.4), ("speech", 1.0)]))
    first_part, second_part = pcm[: 4096 * 5], pcm[4096 * 5:]
    stray = b"\x7f\x7f" * 2048  # what the first socket keeps sending after it lost the answer

    first, _ = await connect(session.pk, candidate)
    await receive_until(first, "ready")
    await send(first, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(first, "answer.started")
    for frame in frames(first_part):
        await first.send_to(bytes_data=frame)
    await send(first, {"type": "ping", "t": 0})
    await receive_until(first, "pong")

    second, _ = await connect(session.pk, candidate)
    ready = await receive_until(second, "ready")
    assert ready["answer_in_progress"]["answer_id"] == started["answer_id"]
    await send(second, {"type": "answer.resume", "answer_id": started["answer_id"]})
    resumed = await receive_until(second, "answer.started")
    assert resumed["resumed"] and resumed["received_bytes"] == len(first_part)

    errors: list[dict] = []
    with pytest.raises(AssertionError, match="closed with 4409"):
        await receive_until(first, "never", collect=errors)
    assert any(e.get("code") == "taken_over" for e in errors)
    for _ in range(3):
        await first.send_to(bytes_data=stray)  # a closed consumer ignores these: nothing reaches the file

    for frame in frames(second_part):
        await second.send_to(bytes_data=frame)
    await send(second, {"type": "answer.end"})
    ended = await receive_until(second, "answer.ended")
    assert ended["received_bytes"] == len(pcm)
    answer = await sync_to_async(Answer.objects.get)(pk=started["answer_id"])
    assert answer.audio_path.read_bytes() == pcm
    assert pipeline_calls == [answer.pk]
    await second.disconnect()


async def test_five_sockets_starting_the_same_question_at_once_make_one_answer(candidate, pipeline_calls):
    session, question = await sync_to_async(make_session)(candidate)
    sockets = []
    for _ in range(5):
        communicator, _ = await connect(session.pk, candidate)
        await receive_until(communicator, "ready")
        sockets.append(communicator)
    await asyncio.gather(*(send(c, {"type": "answer.start", "question_id": question.pk}) for c in sockets))

    async def outcome(communicator) -> str:  # noqa: ANN001
        while True:
            event = json.loads((await communicator.receive_output(timeout=10))["text"])
            if event["type"] == "answer.started":
                return "started"
            if event["type"] == "error":
                return event["code"]

    outcomes = await asyncio.gather(*(outcome(c) for c in sockets))
    assert sorted(outcomes) == ["answer_in_progress"] * 4 + ["started"], outcomes
    assert await sync_to_async(Answer.objects.filter(question=question).count)() == 1
    for communicator in sockets:
        await communicator.disconnect()
