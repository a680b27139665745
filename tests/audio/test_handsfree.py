"""Hands-free interviews: the real consumer ends an answer on silence after speech, and only then.

Audio is streamed through the real ASGI app (origin check, auth, routing, AnswerStream, the analyzer's VAD).
"""

from __future__ import annotations

import math

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from audio.dsp.endpoint import EndPointer, validate_silence_s
from sessions.models import Answer, InterviewSession
from tests.audio.test_consumer import connect, make_session, send
from tests.helpers import frames, receive_until, speech_with_pauses, to_pcm16

pytestmark = [pytest.mark.django_db(transaction=True)]
BYTES_PER_S = 32000


@pytest.fixture(autouse=True)
def _socket_settings(settings):
    settings.LIVE_CAPTIONS = "off"
    settings.AUDIO_MAX_REALTIME_FACTOR = 1000.0  # streamed faster than real time; decisions use audio time only
    settings.HANDS_FREE_SILENCE_S = 1.8


def hands_free_session(user, *, on: bool = True):
    session, question = make_session(user)
    InterviewSession.objects.filter(pk=session.pk).update(hands_free=on)
    return session, question


async def stream(communicator, segments, events: list[dict]) -> dict | None:
    """Send the audio frame by frame; return `answer.ended` if the server sent it, collecting other events."""
    pcm = to_pcm16(speech_with_pauses(segments))
    for frame in frames(pcm):
        await communicator.send_to(bytes_data=frame)
        while not await communicator.receive_nothing(timeout=0.002):
            event = (await communicator.receive_json_from())
            if event["type"] == "answer.ended":
                return event
            events.append(event)
    return None


async def open_answer(session, question, user):
    communicator, _ = await connect(session.pk, user)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    await receive_until(communicator, "answer.started")
    return communicator


def kinds(events: list[dict]) -> list[str]:
    return [e["type"] for e in events if e["type"] not in ("metrics",)]


async def test_speech_then_silence_longer_than_the_setting_ends_the_answer(candidate, pipeline_calls):
    session, question = await sync_to_async(hands_free_session)(candidate)
    communicator = await open_answer(session, question, candidate)
    events: list[dict] = []
    # Thinking before the first word (3 s) must not end it either: only silence after speech counts.
    speech_end = 3.0 + 1.5 + 0.6 + 1.2
    ended = await stream(communicator, [("pause", 3.0), ("speech", 1.5), ("pause", 0.6), ("speech", 1.2),
                                        ("pause", 4.0)], events)
    assert ended is not None, kinds(events)
    assert ended["reason"] == "silence"
    delay = ended["received_bytes"] / BYTES_PER_S - speech_end
    assert 1.8 <= delay <= 2.3, delay  # the setting plus the analysis lookahead and one frame
    countdown = [e for e in events if e["type"] == "answer.ending"]
    assert len(countdown) == 1 and 0.8 <= countdown[0]["seconds_left"] <= 0.9  # the second half of the silence
    assert countdown[0]["end_after_s"] == 1.8
    # The answer is stored and queued like a client-ended one; frames still in flight draw no error.
    answer = await sync_to_async(Answer.objects.get)(pk=ended["answer_id"])
    assert answer.status == "processing" and pipeline_calls == [answer.pk]
    await communicator.send_to(bytes_data=b"\0" * 4096)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_thinking_pause_shorter_than_the_setting_never_ends_the_answer(candidate, pipeline_calls):
    session, question = await sync_to_async(hands_free_session)(candidate)
    communicator = await open_answer(session, question, candidate)
    events: list[dict] = []
    ended = await stream(communicator, [("speech", 1.2), ("pause", 1.5), ("speech", 1.0), ("pause", 1.6),
                                        ("speech", 0.8), ("pause", 0.5)], events)
    assert ended is None, "a 1.6 s thinking pause ended a hands-free answer set to 1.8 s"
    # Both pauses showed the countdown, and speaking cancelled it each time.
    assert kinds(events) == ["answer.ending", "answer.ending_cancelled"] * 2
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended")
    assert ended["reason"] == "client"
    await communicator.disconnect()


async def test_a_click_is_not_an_answer_to_end(candidate, pipeline_calls):
    """Under MIN_SPEECH_S of sound (a click, a cough) followed by silence: still waiting for the answer."""
    session, question = await sync_to_async(hands_free_session)(candidate)
    communicator = await open_answer(session, question, candidate)
    events: list[dict] = []
    assert await stream(communicator, [("pause", 1.0), ("speech", 0.2), ("pause", 4.0)], events) is None
    assert "answer.ending" not in kinds(events)
    await communicator.disconnect()


async def test_client_end_in_a_hands_free_interview_gives_reason_client(candidate, pipeline_calls):
    session, question = await sync_to_async(hands_free_session)(candidate)
    communicator = await open_answer(session, question, candidate)
    assert await stream(communicator, [("speech", 1.5), ("pause", 0.3)], []) is None
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended")
    assert ended["reason"] == "client" and pipeline_calls == [ended["answer_id"]]
    await communicator.disconnect()


async def test_without_hands_free_the_server_never_ends_an_answer(candidate, pipeline_calls):
    session, question = await sync_to_async(hands_free_session)(candidate, on=False)
    communicator = await open_answer(session, question, candidate)
    events: list[dict] = []
    assert await stream(communicator, [("speech", 1.5), ("pause", 5.0)], events) is None
    assert "answer.ending" not in kinds(events)
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended")
    assert ended["reason"] == "client"
    # Without a server end there is no grace: audio after the end is an error, as before.
    await communicator.send_to(bytes_data=b"\0" * 4096)
    error = await receive_until(communicator, "error")
    assert error["code"] == "no_answer"
    await communicator.disconnect()


# --- the setting and the contract: bad values get clear errors -------------------------------------------------

@pytest.mark.parametrize("value", [0.5, 2.6, -1, math.nan, "1.8", True, None])
def test_bad_silence_settings_are_refused_with_the_range(value):
    with pytest.raises(ValueError, match="hands-free silence must be"):
        validate_silence_s(value)
    with pytest.raises(ValueError):
        EndPointer(silence_s=value)  # type: ignore[arg-type]


def test_a_bad_setting_stops_startup(settings):
    settings.HANDS_FREE_SILENCE_S = 4.0
    with pytest.raises(ImproperlyConfigured, match=r"HANDS_FREE_SILENCE_S: .*between 1 and 2\.5 seconds, not 4"):
        apps.get_app_config("audio").ready()
    settings.HANDS_FREE_SILENCE_S = 1.0  # the bounds themselves are valid
    apps.get_app_config("audio").ready()


def test_hands_free_through_the_api_and_the_form(candidate, client):
    from tests.cohorts.scenario import TOPIC, bank_topic

    bank_topic()
    api = APIClient()
    api.force_authenticate(candidate)
    made = api.post("/api/v1/interviews/", {"topics": [TOPIC], "count": 1, "hands_free": True}, format="json")
    assert made.status_code == 201 and made.json()["hands_free"] is True
    assert InterviewSession.objects.get(pk=made.json()["id"]).hands_free
    default = api.post("/api/v1/interviews/", {"topics": [TOPIC], "count": 1}, format="json")
    assert default.status_code == 201 and default.json()["hands_free"] is False
    before = InterviewSession.objects.count()
    bad = api.post("/api/v1/interviews/", {"topics": [TOPIC], "count": 1, "hands_free": "maybe"}, format="json")
    assert bad.status_code == 400 and bad.json() == {"hands_free": ["Must be a valid boolean."]}
    assert InterviewSession.objects.count() == before  # nothing created by a refused request

    client.force_login(candidate)
    response = client.post("/interviews/new/", {"mode": "technical", "topics": [TOPIC], "difficulty": 0,
                                                "count": 1, "persona": "neutral", "hands_free": "on"})
    assert response.status_code == 302
    session = InterviewSession.objects.filter(owner=candidate).order_by("-pk").first()
    assert session.hands_free
    room = client.get(response["Location"])
    assert b'"handsFree": true' in room.content and b"Hands-free" in room.content


def test_the_last_sound_is_the_same_with_and_without_the_vads_shortcut():
    """`EnergyVad.push_many` skips steady runs; the end of the last sound it records must match the block rules."""
    import numpy as np

    from audio.dsp.vad import EnergyVad

    rng = np.random.default_rng(3)
    levels = []
    for kind, blocks in [("quiet", 200), ("loud", 150), ("quiet", 100), ("soft", 20), ("quiet", 300), ("loud", 40),
                         ("quiet", 400)]:
        base = {"quiet": -80.0, "loud": -25.0, "soft": -58.0}[kind]
        levels += list(base + rng.normal(0, 1.0, blocks))
    fast, slow = EnergyVad(sample_rate=16000, block=128), EnergyVad(sample_rate=16000, block=128)
    position = 0
    for chunk in np.array_split(np.array(levels), 37):
        fast.push_many([float(v) for v in chunk], position)
        for v in chunk:
            slow.push(float(v), position)
            position += 128
        assert fast.last_sound == slow.last_sound and fast.last_end == slow.last_end
    # The soft stretch (above the offset threshold, under the onset) is a sound, not speech.
    soft = EnergyVad(sample_rate=16000, block=128)
    soft.push_many([float(v) for v in levels[:600]], 0)
    assert not soft.in_speech and soft.last_end == 350 * 128 and 468 * 128 <= soft.last_sound <= 470 * 128
