"""Live captions from local whisper on real speech: partial and final events, and a feed that never waits.

Slow: loads tiny.en (once per run).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from audio.transcription.caption_batch import caption_decoder
from audio.transcription.evaluation import normalize, word_error_rate
from audio.transcription.live import LiveCaptioner
from tests.helpers import frames, read_wav_pcm16

pytestmark = pytest.mark.slow

JFK = ("And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your "
       "country.")


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict] = []

    async def __call__(self, event: dict) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]


def feed_completes_without_suspending(captioner: LiveCaptioner, chunk: bytes) -> bool:
    """Drive `feed()` by hand: True when it ran to the end without once yielding to the event loop."""
    coro = captioner.feed(chunk)
    try:
        coro.send(None)
    except StopIteration:
        return True
    coro.close()
    return False


async def test_real_speech_at_a_fast_pace_gives_partials_and_finals(speech_dir: Path):
    events = Recorder()
    captioner = LiveCaptioner(emit=events, prefer="local", time_offset_s=3.0)
    await captioner.start()
    assert captioner.engine == "whisper-tiny.en"
    pcm = read_wav_pcm16(speech_dir / "jfk.wav")
    for chunk in frames(pcm):
        assert feed_completes_without_suspending(captioner, chunk)
        await asyncio.sleep(len(chunk) / 32000 / 4)  # 4x real time: decodes cannot keep up, batches wait
    assert await captioner.finish() is None  # local captions never make the final transcript

    partials, finals = events.of("transcript.partial"), events.of("transcript.final")
    assert partials and finals
    assert all(e["engine"] == "whisper-tiny.en" for e in partials + finals)
    words = [w for e in finals for w in e["words"]]
    text = " ".join(w["text"] for w in words)
    assert word_error_rate(JFK, text) <= 0.25, text
    # Committed words never overlap or repeat: each final continues after the previous one.
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert len(normalize(text)) <= len(normalize(JFK)) + 2
    assert words[0]["start"] >= 3.0 and words[-1]["end"] <= 3.0 + len(pcm) / 32000 + 0.01
    stream = captioner._local
    assert stream.decodes >= 1


async def test_feed_never_waits_and_each_stream_has_one_tail_waiting_while_the_decoder_is_busy(speech_dir: Path):
    decoder = caption_decoder.get()
    release = threading.Event()
    original = decoder._decode

    def held(*, tails):
        release.wait(30)
        return original(tails=tails)

    submitted = []
    submit = decoder.submit

    def counted(**kwargs):
        submitted.append(kwargs["offset_s"])
        return submit(**kwargs)

    decoder._decode, decoder.submit = held, counted
    try:
        events = Recorder()
        captioner = LiveCaptioner(emit=events, prefer="local")
        await captioner.start()
        pcm = read_wav_pcm16(speech_dir / "jfk.wav")
        for chunk in frames(pcm[: 5 * 32000]):
            assert feed_completes_without_suspending(captioner, chunk)
        stream = captioner._local
        # One tail handed in after the first second, held in the decoder; the next four seconds wait for it
        # instead of queueing more tails behind it.
        in_flight = stream._in_flight
        assert stream.decodes == 0 and in_flight is not None and not in_flight.done()
        assert len(submitted) == 1
    finally:
        release.set()
        decoder._decode = original
        del decoder.submit
    await asyncio.wrap_future(in_flight)
    # With the decoder free again the next round decodes and captions arrive.
    for chunk in frames(pcm[5 * 32000 : 8 * 32000]):
        await captioner.feed(chunk)
        await asyncio.sleep(0.05)
    await captioner.finish()
    assert events.of("transcript.partial") or events.of("transcript.final")
    assert "country" in " ".join(e["text"] for e in events.of("transcript.final")).lower()


async def test_silence_is_not_decoded_and_close_stops_captions():
    events = Recorder()
    captioner = LiveCaptioner(emit=events, prefer="local")
    await captioner.start()
    for _ in range(40):  # 5 s of digital silence
        await captioner.feed(b"\x00\x00" * 2048)
    await captioner.close()
    await captioner.feed(b"\x01\x00" * 2048)
    assert captioner._local.decodes == 0 and events.events == []
