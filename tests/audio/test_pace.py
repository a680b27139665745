"""One pace figure from the live meter to the stored answer: the same answers streamed through the interview
socket (live captions, `metrics` events) and then transcribed for good, against the truth (known words and the
span from the first word to the last), on espeak-ng speech and on real speech (tests/data/speech)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from asgiref.sync import sync_to_async

from audio.services import answer_transcribe
from audio.transcription import whisper_local
from audio.transcription.evaluation import read_manifest
from audio.transcription.speech_metrics import pace_advice
from tests.audio.test_transcription_consumer import speak
from tests.fakes.speech import synthesize
from tests.helpers import silence, to_pcm16

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


async def live_and_final(candidate, audio: np.ndarray) -> tuple[dict, dict]:
    answer_id, events, _ = await speak(candidate, to_pcm16(audio), speed=1.0)
    live = [e for e in events if e["type"] == "metrics" and e.get("wpm") is not None][-1]
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
                                                                         rate):
    audio, truth = espeak_answer(tool, tmp_path, rate)
    live, final = await live_and_final(candidate, audio)
    print(f"espeak -s {rate}: truth {truth:.1f} wpm, live {live['wpm']}, final {final['wpm']}")
    check(live, final, truth)


async def test_pace_live_and_final_agree_with_the_truth_on_real_speech(candidate, pipeline_calls):
    audio, truth = real_answer()
    live, final = await live_and_final(candidate, audio)
    print(f"librivox: truth {truth:.1f} wpm, live {live['wpm']}, final {final['wpm']}")
    check(live, final, truth)
