"""The edges of answers never hold up other sockets' frames; admission caps live captions, never answers.

Real consumer through the real ASGI app (channels' WebsocketCommunicator), real database, real whisper for the
captions and the final transcript.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from audio import admission
from sessions.models import Answer
from tests.audio.test_consumer import connect, make_session, send
from tests.conftest import make_user
from tests.helpers import frames, read_wav_pcm16, receive_until, speech_with_pauses, to_pcm16

pytestmark = [pytest.mark.django_db(transaction=True)]

# A write this slow at `answer.end` (or `connect`) used to stall every socket's frames for as long.
SLOW_WRITE_S = 1.5


@pytest.fixture(autouse=True)
def _socket_settings(settings):  # noqa: ANN001, ANN202
    for registry in (admission._live, admission._captioned, admission._lag_s):
        registry.clear()
    admission._paused_total = 0
    settings.LIVE_CAPTIONS = "off"
    settings.AUDIO_MAX_REALTIME_FACTOR = 1000.0
    settings.AUDIO_METRICS_PER_SECOND = 1e6  # a metrics event for every frame, even frames 1 ms apart


async def recording(user, tag: str):  # noqa: ANN001, ANN201
    session, question = await sync_to_async(make_session)(user)
    communicator, _ = await connect(session.pk, user)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started")
    return communicator, started


async def frame_to_metric_s(communicator, frame: bytes) -> float:  # noqa: ANN001
    sent = time.monotonic()
    await communicator.send_to(bytes_data=frame)
    await receive_until(communicator, "metrics", timeout=10)
    return time.monotonic() - sent


def slow_answer_complete(monkeypatch) -> None:  # noqa: ANN001
    """The real `answer_complete`, made slow: a database under load at the moment a class ends its answers."""
    from sessions import services

    real = services.answer_complete

    def slow(**kwargs):  # noqa: ANN003, ANN202
        time.sleep(SLOW_WRITE_S)
        return real(**kwargs)

    monkeypatch.setattr(services, "answer_complete", slow)


async def frames_during_slow_end(candidate, other_candidate) -> tuple[list[float], bool]:  # noqa: ANN001
    """Socket A streams while socket B's `answer.end` write is in progress: A's frame-to-metric delays, and whether
    B's write was still running when A's last metric arrived."""
    pcm = to_pcm16(speech_with_pauses([("speech", 2.0)]))
    a, _ = await recording(candidate, "a")
    b, _ = await recording(other_candidate, "b")
    for frame in frames(pcm)[:3]:
        await b.send_to(bytes_data=frame)
        await receive_until(b, "metrics")
    await send(b, {"type": "answer.end"})
    await asyncio.sleep(0.2)  # B's write has started
    delays = [await frame_to_metric_s(a, frame) for frame in frames(pcm)[:5]]
    b_still_writing = b.output_queue.empty()
    ended = await receive_until(b, "answer.ended", timeout=SLOW_WRITE_S + 10)
    assert ended["received_bytes"] == 3 * 4096  # the slow write completes, nothing lost
    await a.disconnect()
    await b.disconnect()
    return delays, b_still_writing


async def test_frames_flow_while_another_socket_ends_its_answer_slowly(candidate, other_candidate, monkeypatch,
                                                                      pipeline_calls):  # noqa: ANN001
    slow_answer_complete(monkeypatch)
    delays, b_still_writing = await frames_during_slow_end(candidate, other_candidate)
    assert b_still_writing, "the test must measure A while B's write is in progress"
    assert max(delays) < 0.5, delays
    assert len(pipeline_calls) == 1  # B's answer was queued for scoring after its write


async def test_the_legacy_edges_stall_frames_behind_a_slow_end(candidate, other_candidate, monkeypatch, settings,
                                                               pipeline_calls):  # noqa: ANN001
    """The same scenario with the old paths (`WS_LEGACY_EDGES`): A's frames wait behind B's write. This is what
    the test above guards against, and shows that it can fail."""
    settings.WS_LEGACY_EDGES = True
    slow_answer_complete(monkeypatch)
    delays, _ = await frames_during_slow_end(candidate, other_candidate)
    assert max(delays) > SLOW_WRITE_S / 2, delays


async def test_frames_flow_while_the_shared_sync_thread_is_busy(candidate):  # noqa: ANN001
    """A connect's auth lookup or a sync page view holding the shared sync thread does not stall audio frames."""
    pcm = to_pcm16(speech_with_pauses([("speech", 1.0)]))
    a, _ = await recording(candidate, "a")
    busy = asyncio.ensure_future(sync_to_async(time.sleep, thread_sensitive=True)(SLOW_WRITE_S))
    await asyncio.sleep(0.1)
    delays = [await frame_to_metric_s(a, frame) for frame in frames(pcm)[:4]]
    assert not busy.done(), "the shared thread must still be busy while A's frames are measured"
    assert max(delays) < 0.5, delays
    await busy
    await a.disconnect()


# --- admission: a cap on live-caption streams per process -------------------------------------------------------

async def stream_answer(communicator, pcm: bytes) -> dict:  # noqa: ANN001
    for frame in frames(pcm):
        await communicator.send_to(bytes_data=frame)
    await send(communicator, {"type": "answer.end"})
    return await receive_until(communicator, "answer.ended", timeout=60)


async def test_over_the_caption_cap_an_answer_has_no_live_captions_but_a_complete_transcript(
        candidate, other_candidate, settings, speech_dir, pipeline_calls):  # noqa: ANN001
    from audio.services import answer_transcribe

    settings.LIVE_CAPTIONS = "auto"
    settings.ASSEMBLYAI_API_KEY = ""  # local whisper captions
    settings.LIVE_CAPTION_STREAMS_MAX = 1
    settings.AUDIO_METRICS_PER_SECOND = 5.0
    pcm = read_wav_pcm16(speech_dir / "jfk.wav")

    a, started_a = await recording(candidate, "a")
    assert started_a["engine"] != "off"  # the first answer holds the one caption slot
    session, question = await sync_to_async(make_session)(other_candidate)
    b, _ = await connect(session.pk, other_candidate)
    await receive_until(b, "ready")
    await send(b, {"type": "answer.start", "question_id": question.pk})
    seen: list[dict] = []
    started_b = await receive_until(b, "answer.started", collect=seen)
    paused = [e for e in seen if e["type"] == "captions.paused"]
    assert paused and paused[0]["reason"] == "server_busy"
    assert paused[0]["message"] == "Live captions paused: server busy; your transcript will be complete."
    assert started_b["engine"] == "off"
    load = admission.snapshot()
    assert (load["live_streams"], load["captioned_streams"], load["captions_paused_total"]) == (2, 1, 1)

    events: list[dict] = []
    ended = await asyncio.wait_for(stream_answer_collect(b, pcm, events), 60)
    assert ended["received_bytes"] == len(pcm)
    assert not [e for e in events if e["type"].startswith("transcript.")]  # no live captions for B
    answer = await sync_to_async(Answer.objects.get)(pk=started_b["answer_id"])
    assert answer.audio_bytes == len(pcm) and not answer.transcript_engine
    answer = await sync_to_async(answer_transcribe)(answer_id=answer.pk)
    # The final transcript is made from the whole stored file, as for any answer.
    assert "ask not what your country can do for you" in answer.transcript.lower()

    await stream_answer(a, pcm[:32000])
    assert admission.snapshot()["captioned_streams"] == 0  # A's slot is free again after its end
    await send(a, {"type": "answer.start", "question_id": started_a["question_id"]})
    seen = []
    assert (await receive_until(a, "answer.started", collect=seen))["engine"] != "off"
    assert not [e for e in seen if e["type"] == "captions.paused"]
    await a.disconnect()
    await b.disconnect()
    assert admission.snapshot()["live_streams"] == 0


async def stream_answer_collect(communicator, pcm: bytes, events: list[dict]) -> dict:  # noqa: ANN001
    for frame in frames(pcm):
        await communicator.send_to(bytes_data=frame)
    await send(communicator, {"type": "answer.end"})
    return await receive_until(communicator, "answer.ended", timeout=60, collect=events)


# --- what operators see ---------------------------------------------------------------------------------------

async def test_healthz_and_status_page_show_streams_and_queues(candidate, client, admin):  # noqa: ANN001
    a, _ = await recording(candidate, "a")
    body = (await sync_to_async(client.get)("/healthz")).json()
    streams = body["load"]["streams"]
    assert streams["live_streams"] == 1 and streams["captioned_streams"] == 0
    assert set(streams) >= {"pid", "caption_streams_max", "captions_paused_total", "caption_lag_s"}
    assert body["load"]["queues"] == {"embedded": {"queued": 0, "running": 0}} or "embedded" in body["load"]["queues"]

    anonymous = await sync_to_async(client.get)("/healthz/status")
    assert anonymous.status_code == 302
    other = await sync_to_async(make_user)("someone@example.com")
    await sync_to_async(client.force_login)(other)
    assert (await sync_to_async(client.get)("/healthz/status")).status_code == 403
    await sync_to_async(client.force_login)(admin)
    page = await sync_to_async(client.get)("/healthz/status")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Streams recording now" in html and 'id="live-streams">1<' in html and "embedded" in html
    await a.disconnect()
