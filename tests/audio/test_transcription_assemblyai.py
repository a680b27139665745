"""The live captioner with the real `assemblyai` SDK client against the fake v3 server on 127.0.0.1.

Happy path without a model; every fault must end with local whisper captioning the rest of the answer (slow:
loads tiny.en once per run) and `finish()` returning None so the final transcript is made from the file.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path

import pytest

from audio.transcription.live import LiveCaptioner
from tests.fakes.assemblyai_server import MAX_FRAME_BYTES, MIN_FRAME_BYTES, FakeAssemblyAI, script_from_text
from tests.helpers import frames, read_wav_pcm16, speech_with_pauses, to_pcm16

KEY = "test-key"
SCRIPT_TEXT = "Um, I built the cache first. It was, like, fast."


@pytest.fixture
async def fake_server(settings):
    """Start a fake server with the given switches and point the settings at it."""
    servers: list[FakeAssemblyAI] = []

    async def make(**kwargs) -> FakeAssemblyAI:
        fake = FakeAssemblyAI(api_key=KEY, script=kwargs.pop("script", script_from_text(SCRIPT_TEXT)), **kwargs)
        await fake.start()
        servers.append(fake)
        settings.ASSEMBLYAI_API_KEY = KEY
        settings.ASSEMBLYAI_HOST = fake.host
        settings.ASSEMBLYAI_TIMEOUT_S = 1.0
        return fake

    yield make
    for fake in servers:
        await fake.stop()


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict] = []

    async def __call__(self, event: dict) -> None:
        self.events.append(event)

    def of(self, kind: str, engine: str | None = None) -> list[dict]:
        return [e for e in self.events if e["type"] == kind and (engine is None or e.get("engine") == engine)]


async def feed_paced(captioner: LiveCaptioner, pcm: bytes, *, speed: float = 4.0, size: int = 4096) -> None:
    for chunk in frames(pcm, size):
        await captioner.feed(chunk)
        await asyncio.sleep(len(chunk) / 32000 / speed)


def voiced_audio(seconds: float) -> bytes:
    return to_pcm16(speech_with_pauses([("speech", seconds)]))


# --- the happy path ---------------------------------------------------------------------------------------

async def test_partials_and_finals_with_word_timings_and_terminate(fake_server):
    fake = await fake_server()
    events = Recorder()
    captioner = LiveCaptioner(emit=events, prefer="assemblyai", time_offset_s=2.0)
    await captioner.start()
    assert captioner.engine == "assemblyai"
    await feed_paced(captioner, voiced_audio(5.0), speed=20)
    transcript = await captioner.finish()

    assert transcript is not None and transcript.engine == "assemblyai"
    assert transcript.text == SCRIPT_TEXT
    partials, finals = events.of("transcript.partial", "assemblyai"), events.of("transcript.final", "assemblyai")
    assert [p["text"] for p in partials[:2]] == ["um", "um i"]  # unformatted, growing
    assert [f["text"] for f in finals] == ["Um, I built the cache first.", "It was, like, fast."]  # one per turn
    assert not events.of("transcript.engine")
    script_words = [w for turn in script_from_text(SCRIPT_TEXT) for w in turn]
    got = [w for f in finals for w in f["words"]]
    assert [(w["text"], w["start"], w["end"]) for w in got] == [(t, s + 2.0, e + 2.0) for t, s, e in script_words]
    assert all(a["start"] <= b["start"] and a["start"] <= a["end"] for a, b in itertools.pairwise(got))
    assert [w.start for w in transcript.words] == [w["start"] for w in got]
    assert transcript.duration_s == pytest.approx(5.0, abs=0.06)
    assert 0.8 < transcript.confidence <= 0.9

    [session] = fake.sessions
    assert session.authorization == KEY
    assert session.query["sample_rate"] == "16000" and session.query["encoding"] == "pcm_s16le"
    assert session.query["speech_model"] == "universal-streaming-english"
    assert session.terminate_received and session.close_code == 1000
    assert all(MIN_FRAME_BYTES <= size <= MAX_FRAME_BYTES for size in session.frame_sizes)


async def test_small_and_large_frames_are_batched_within_protocol_limits(fake_server):
    fake = await fake_server(script=[])
    captioner = LiveCaptioner(emit=Recorder(), prefer="assemblyai")
    await captioner.start()
    pcm = voiced_audio(3.0)
    tiny = pcm[:12800]  # 256-byte frames: 8 ms each, far below the 50 ms minimum
    for chunk in frames(tiny, 256):
        await captioner.feed(chunk)
    await captioner.feed(pcm[12800:12800 + 32768])  # a 32 KiB frame: above the 1000 ms maximum
    await captioner.feed(pcm[12800 + 32768:12800 + 32768 + 1000])  # a tail under 50 ms
    transcript = await captioner.finish()

    assert transcript is not None and transcript.text == ""
    [session] = fake.sessions
    assert all(MIN_FRAME_BYTES <= size <= MAX_FRAME_BYTES for size in session.frame_sizes), session.frame_sizes
    # Every byte arrived; the last message was padded with silence up to the 50 ms minimum.
    assert session.audio_bytes == 12800 + 32768 + 1600
    assert session.terminate_received


async def test_slow_answers_within_the_timeout_do_not_fall_back(fake_server, settings):
    await fake_server(mode="slow", slow_s=0.05)
    settings.ASSEMBLYAI_TIMEOUT_S = 3.0
    events = Recorder()
    captioner = LiveCaptioner(emit=events, prefer="assemblyai")
    await captioner.start()
    await feed_paced(captioner, voiced_audio(5.0), speed=8)
    transcript = await captioner.finish()
    assert captioner.engine == "assemblyai" and not events.of("transcript.engine")
    assert transcript is not None and transcript.text == SCRIPT_TEXT


async def test_no_key_means_local_and_off_means_nothing(settings):
    settings.ASSEMBLYAI_API_KEY = ""
    captioner = LiveCaptioner(emit=Recorder(), prefer="assemblyai")
    await captioner.start()
    assert captioner.engine == "whisper-tiny.en"
    await captioner.close()
    off = LiveCaptioner(emit=Recorder(), prefer="off")
    await off.start()
    await off.feed(b"\x00\x00" * 2048)
    assert off.engine == "off" and await off.finish() is None
    with pytest.raises(ValueError):
        LiveCaptioner(emit=Recorder(), prefer="cloud")


# --- faults: each one ends with local captions and no AssemblyAI transcript ---------------------------------

FAULTS = [
    pytest.param({"mode": "wrong_key"}, "401", id="http-401-at-upgrade"),
    pytest.param({"mode": "error", "fail_after_s": 2.5}, "3005", id="error-frame-then-close"),
    pytest.param({"mode": "close", "fail_after_s": 2.5, "close_code": 1011}, "1011", id="mid-stream-close-1011"),
    pytest.param({"mode": "close", "fail_after_s": 2.5, "close_code": 1000}, "closed", id="mid-stream-close-1000"),
    pytest.param({"mode": "silence", "fail_after_s": 2.5}, "no answer", id="silence-past-timeout"),
    pytest.param({"mode": "slow", "slow_s": 2.0}, "no session|no answer", id="slow-past-timeout"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("switches", "reason"), FAULTS)
async def test_faults_fall_back_to_local_captions_without_loss(fake_server, speech_dir: Path, switches, reason):
    fake = await fake_server(**switches)
    events = Recorder()
    captioner = LiveCaptioner(emit=events, prefer="assemblyai")
    await captioner.start()
    pcm = read_wav_pcm16(speech_dir / "jfk.wav")
    await feed_paced(captioner, pcm, speed=3.0)
    transcript = await captioner.finish()

    assert transcript is None  # the final transcript will be made locally from the stored file
    assert captioner.engine == "whisper-tiny.en"
    [change] = events.of("transcript.engine")
    assert change["engine"] == "whisper-tiny.en" and change["previous"] == "assemblyai"
    assert re.search(reason, change["reason"]), change["reason"]
    # Nothing lost: local captions start where AssemblyAI's last final turn ended and cover the speech after it.
    remote_finals = events.of("transcript.final", "assemblyai")
    resumed_at = remote_finals[-1]["words"][-1]["end"] if remote_finals else 0.0
    assert change["from_s"] == pytest.approx(resumed_at, abs=0.01)
    local_words = [w for e in events.of("transcript.final", "whisper-tiny.en") for w in e["words"]]
    assert len(local_words) >= 10, events.events
    assert local_words[0]["start"] >= resumed_at - 0.01
    assert local_words[-1]["end"] <= len(pcm) / 32000 + 0.01
    starts = [w["start"] for w in local_words]
    assert starts == sorted(starts)
    text = " ".join(w["text"] for w in local_words).lower()
    assert "country" in text
    # No AssemblyAI captions after the switch.
    switch_at = events.events.index(change)
    assert not [e for e in events.events[switch_at:] if e.get("engine") == "assemblyai"]
    if switches["mode"] in {"silence", "slow"}:
        # The socket was still open: Terminate was sent so the service stops billing.
        await asyncio.wait_for(fake.sessions[0].finished.wait(), timeout=10)
        assert fake.sessions[0].terminate_received
    if switches["mode"] == "wrong_key":
        assert fake.rejected == [401] and not fake.sessions
