"""One pace figure from the live meter to the stored answer: the same answers streamed through the interview
socket (live captions, `metrics` events) and then transcribed for good, against the truth (known words and the
span from the first word to the last), on espeak-ng speech and on real speech (tests/data/speech).

Frames are fed in caption rounds, not in wall-clock time: the next frame goes only once the previous one is in
and the caption decode it started has been handled, so every round decodes the same audio whatever the machine's
load (in real time on a loaded machine the caption pool skips rounds, and which words the meter had seen by the
last event depended on the scheduler). The live figure read is the closing `metrics` event, sent once every
caption is in.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from asgiref.sync import sync_to_async

from audio.services import answer_transcribe
from audio.transcription import whisper_local
from audio.transcription.evaluation import read_manifest
from audio.transcription.local_stream import LocalStream
from audio.transcription.speech_metrics import pace_advice
from tests.audio.test_consumer import connect, make_session, send
from tests.fakes.speech import synthesize
from tests.helpers import frames, receive_until, silence, to_pcm16

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

REAL = Path(__file__).resolve().parent.parent / "data" / "speech"
ANSWER = ("I would put an index on the customer id column because every query filters on it. "
          "Then I would check the plan again and measure the latency before and after the change. "
          "If the table keeps growing I would partition it by month and archive the old rows.")


@pytest.fixture(autouse=True)
def _socket_settings(settings):
    settings.LIVE_CAPTIONS = "auto"
    settings.ASSEMBLYAI_API_KEY = ""
    settings.AUDIO_MAX_REALTIME_FACTOR = 1000.0


def spoken_span(audio: np.ndarray, *, level: float = 0.01) -> float:
    """Seconds from the first to the last sample of the speech itself (the clips' edges are quiet)."""
    loud = np.flatnonzero(np.abs(audio) >= level)
    return (loud[-1] - loud[0]) / 16000


def with_thinking_time(audio: np.ndarray) -> np.ndarray:
    # Silence before the first word and after the last: thinking time that pace must not count.
    return np.concatenate([silence(2.0, seed=5), audio, silence(2.5, seed=6)]).astype(np.float32)


def espeak_answer(tool, folder: Path, rate: int) -> tuple[np.ndarray, float]:
    audio = whisper_local.read_audio(synthesize(ANSWER, folder / f"answer{rate}.wav", tool, words_per_minute=rate))
    return with_thinking_time(audio), len(ANSWER.split()) / spoken_span(audio) * 60


def real_answer() -> tuple[np.ndarray, float]:
    rows = [r for r in read_manifest(REAL) if r["speaker"] == "librivox-reader"]
    parts, words = [], 0
    for k, row in enumerate(rows):
        clip = whisper_local.read_audio(REAL / row["file"])
        loud = np.flatnonzero(np.abs(clip) >= 0.01)
        parts += [clip[loud[0]:loud[-1] + 1], silence(2.0, seed=k)]
        words += len(row["transcript"].split())
    audio = np.concatenate(parts[:-1])
    return with_thinking_time(audio), words / (len(audio) / 16000) * 60


@pytest.fixture
def caption_streams(monkeypatch) -> list[LocalStream]:
    """The local caption streams the socket starts, so the feeder can wait for their rounds."""
    streams: list[LocalStream] = []
    original = LocalStream.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        streams.append(self)

    monkeypatch.setattr(LocalStream, "__init__", init)
    return streams


async def settled(streams: list[LocalStream], fed_s: float, *, timeout: float = 120.0) -> None:
    """Wait until the stream holds the audio sent so far and no caption decode (or its handling) is pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (streams and streams[-1].end_s >= fed_s - 1e-6 and streams[-1]._in_flight is None
               and not streams[-1]._tasks):
        assert loop.time() < deadline, "a caption round did not finish"
        await asyncio.sleep(0.005)


async def speak_in_rounds(candidate, pcm: bytes, streams: list[LocalStream]) -> tuple[int, list[dict]]:
    session, question = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started")
    events: list[dict] = []
    fed = 0
    for chunk in frames(pcm):
        await communicator.send_to(bytes_data=chunk)
        fed += len(chunk)
        await settled(streams, fed / 32000)
        await asyncio.sleep(0.005)  # under the socket's frame-rate limit (250 a second) through silences
    await send(communicator, {"type": "answer.end"})
    await receive_until(communicator, "answer.ended", timeout=60, collect=events)
    await communicator.disconnect()
    return started["answer_id"], events


async def live_and_final(candidate, audio: np.ndarray, streams: list[LocalStream]) -> tuple[dict, dict]:
    answer_id, events = await speak_in_rounds(candidate, to_pcm16(audio), streams)
    [live] = [e for e in events if e["type"] == "metrics" and e.get("final")]
    assert streams[-1].skipped == 0  # every round decoded: the same captions on any machine
    answer = await sync_to_async(answer_transcribe)(answer_id=answer_id)
    return live, answer.delivery


def check(live: dict, final: dict, truth: float) -> None:
    assert final["wpm"] == pytest.approx(truth, rel=0.10), (live["wpm"], final["wpm"], truth)
    assert live["wpm"] == pytest.approx(truth, rel=0.10), (live["wpm"], final["wpm"], truth)
    assert live["wpm"] == pytest.approx(final["wpm"], rel=0.10)
    # The live nudge and the final advice judge the same figure against the same band.
    assert live["pace_advice"] == pace_advice(final["wpm"]) == pace_advice(truth)


@pytest.mark.parametrize("rate", [115, 165])
async def test_pace_live_and_final_agree_with_the_truth_on_espeak_speech(candidate, pipeline_calls, tool, tmp_path,
                                                                         caption_streams, rate):
    audio, truth = espeak_answer(tool, tmp_path, rate)
    live, final = await live_and_final(candidate, audio, caption_streams)
    print(f"espeak -s {rate}: truth {truth:.1f} wpm, live {live['wpm']}, final {final['wpm']}")
    check(live, final, truth)


async def test_pace_live_and_final_agree_with_the_truth_on_real_speech(candidate, pipeline_calls, caption_streams):
    audio, truth = real_answer()
    live, final = await live_and_final(candidate, audio, caption_streams)
    print(f"librivox: truth {truth:.1f} wpm, live {live['wpm']}, final {final['wpm']}")
    check(live, final, truth)
