"""Both caption engines through the interview socket (real ASGI app), and the final transcript that follows.

AssemblyAI runs against the fake v3 server; a fault mid-answer must still end in a complete local transcript.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from audio.services import answer_transcribe
from sessions.models import Answer
from tests.audio.test_consumer import connect, make_session, send
from tests.fakes.assemblyai_server import FakeAssemblyAI, script_from_text
from tests.helpers import frames, read_wav_pcm16, receive_until, speech_with_pauses, to_pcm16

pytestmark = [pytest.mark.django_db(transaction=True)]

JFK_SCRIPT = script_from_text("And so, my fellow Americans, ask not what your country can do for you.", word_s=0.3)


@pytest.fixture(autouse=True)
def _socket_settings(settings):
    settings.LIVE_CAPTIONS = "auto"
    settings.ASSEMBLYAI_API_KEY = ""
    settings.AUDIO_MAX_REALTIME_FACTOR = 1000.0


async def speak(candidate, pcm: bytes, *, speed: float) -> tuple[int, list[dict], dict]:
    """One whole answer over the socket at `speed` x real time: (answer id, events, answer.started)."""
    session, question = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started")
    events: list[dict] = []
    for chunk in frames(pcm):
        await communicator.send_to(bytes_data=chunk)
        await asyncio.sleep(len(chunk) / 32000 / speed)
    await send(communicator, {"type": "answer.end"})
    await receive_until(communicator, "answer.ended", timeout=30, collect=events)
    await communicator.disconnect()
    return started["answer_id"], events, started


def captions(events: list[dict], engine: str) -> list[dict]:
    return [e for e in events if e["type"].startswith("transcript.") and e.get("engine") == engine]


@pytest.mark.slow
async def test_local_engine_captions_and_final_transcript(candidate, pipeline_calls, speech_dir: Path):
    pcm = read_wav_pcm16(speech_dir / "jfk.wav")
    # Real time, as a browser sends: much faster than that, a busy machine decodes fewer, larger rounds.
    answer_id, events, started = await speak(candidate, pcm, speed=1)
    assert started["engine"] == "whisper-tiny.en"
    local = captions(events, "whisper-tiny.en")
    assert {e["type"] for e in local} == {"transcript.partial", "transcript.final"}
    caption_text = " ".join(e["text"] for e in local if e["type"] == "transcript.final").lower()
    assert "country" in caption_text
    metrics = [e for e in events if e["type"] == "metrics"]
    assert metrics and metrics[-1]["filler_count"] == 0, caption_text
    assert pipeline_calls == [answer_id]

    answer = await sync_to_async(answer_transcribe)(answer_id=answer_id)
    assert answer.transcript_engine == "whisper-tiny.en" and answer.live_engine == ""
    assert "ask not what your country can do for you" in answer.transcript.lower().replace(",", "")
    assert answer.delivery["wpm"] > 0


async def test_assemblyai_engine_captions_and_its_transcript_is_kept(candidate, pipeline_calls, settings):
    async with FakeAssemblyAI(api_key="k", script=JFK_SCRIPT) as fake:
        settings.ASSEMBLYAI_API_KEY, settings.ASSEMBLYAI_HOST = "k", fake.host
        pcm = to_pcm16(speech_with_pauses([("speech", 6.0)]))
        answer_id, events, started = await speak(candidate, pcm, speed=20)
        assert started["engine"] == "assemblyai"
        finals = [e for e in captions(events, "assemblyai") if e["type"] == "transcript.final"]
        assert [f["text"] for f in finals] == ["And so, my fellow Americans, ask not what your country can do for you."]
        assert fake.sessions[0].terminate_received

    answer = await sync_to_async(Answer.objects.get)(pk=answer_id)
    assert answer.transcript_engine == "assemblyai" and answer.live_engine == "assemblyai"
    assert len(answer.words) == len(JFK_SCRIPT[0])
    answer = await sync_to_async(answer_transcribe)(answer_id=answer_id)  # no model: the live transcript stays
    assert answer.transcript_engine == "assemblyai" and answer.delivery["word_count"] == len(JFK_SCRIPT[0])


@pytest.mark.slow
@pytest.mark.parametrize("switches", [{"mode": "error", "fail_after_s": 3.0}, {"mode": "silence", "fail_after_s": 3.0}],
                         ids=["error-frame", "silence"])
async def test_assemblyai_fault_mid_answer_ends_in_a_complete_local_transcript(
        candidate, pipeline_calls, settings, speech_dir: Path, switches):
    async with FakeAssemblyAI(api_key="k", script=JFK_SCRIPT, **switches) as fake:
        settings.ASSEMBLYAI_API_KEY, settings.ASSEMBLYAI_HOST, settings.ASSEMBLYAI_TIMEOUT_S = "k", fake.host, 1.0
        pcm = read_wav_pcm16(speech_dir / "jfk.wav")
        answer_id, events, started = await speak(candidate, pcm, speed=3)
    assert started["engine"] == "assemblyai"
    [change] = [e for e in events if e["type"] == "transcript.engine"]
    assert change["engine"] == "whisper-tiny.en"
    assert captions(events, "assemblyai")  # it captioned the start
    assert captions(events, "whisper-tiny.en")  # and local whisper the rest

    answer = await sync_to_async(Answer.objects.get)(pk=answer_id)
    assert answer.transcript == "" and answer.transcript_engine == ""  # AssemblyAI's partial answer is not kept
    answer = await sync_to_async(answer_transcribe)(answer_id=answer_id)
    text = answer.transcript.lower().replace(",", "")
    # The whole answer, including what was said before the fault.
    assert text.startswith("and so my fellow americans") and text.rstrip(".").endswith("for your country")
    assert answer.transcript_engine == "whisper-tiny.en"
