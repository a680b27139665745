"""The closing `metrics` event of an answer: sent once after the captions are in, and never in the way of storing
the answer when the socket cannot take it."""

from __future__ import annotations

import time

import pytest

from audio.live import AnswerStream
from tests.helpers import speech_with_pauses, to_pcm16

# Local captions (whisper): the closing event is the captions' last word on pace; with captions off or paused there
# is nothing to close (the signal figures are current at every frame).
pytestmark = pytest.mark.slow


async def record(tmp_path, emit) -> tuple[AnswerStream, dict]:
    stream = AnswerStream(answer_id=1, question_id=1, attempt=1, audio_path=tmp_path / "a.pcm",
                          started_wall=time.time(), emit=emit, caption_prefer="local")
    await stream.open(resume=False)
    pcm = to_pcm16(speech_with_pauses([("pause", 0.3), ("speech", 2.0), ("pause", 0.3)]))
    for k in range(0, len(pcm), 4096):
        await stream.feed(pcm[k:k + 4096])
    aggregates, _ = await stream.end()
    return stream, aggregates


async def test_one_closing_metrics_event_after_the_answer(tmp_path):
    events: list[dict] = []

    async def emit(event: dict) -> None:
        events.append(event)

    _, aggregates = await record(tmp_path, emit)
    closing = [e for e in events if e["type"] == "metrics" and e.get("final")]
    assert len(closing) == 1 and events[-1] is closing[0]
    assert closing[0]["t"] == pytest.approx(aggregates["duration_s"], abs=0.01)
    assert {"wpm", "pace_advice", "filler_count", "speaking_time_s"} <= set(closing[0])


async def test_a_socket_that_cannot_take_the_closing_event_does_not_lose_the_answer(tmp_path):
    async def emit(event: dict) -> None:
        if event.get("final"):
            raise ConnectionError("socket gone")

    stream, aggregates = await record(tmp_path, emit)
    assert aggregates["duration_s"] > 2 and stream.ended
    assert (tmp_path / "a.pcm").stat().st_size == stream.received_bytes > 0
