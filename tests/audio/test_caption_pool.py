"""Live captions on caption workers outside daphne (distributed mode), for real: the machine's Redis (each test
under its own key prefix), `manage.py caption_worker` processes with tiny.en, and real speech.

- Tails sent together are decoded together, by whichever worker is free, and each gets its own words.
- A worker SIGKILLed mid-answer: the rounds it held time out, the next tails go to the other worker, captions
  resume and reach the end of the answer.
- No worker running: a tail is refused at once, the room is told captions are paused (once), the answer goes on.
- A tail older than the stream's patience is dropped by the worker, not decoded.
- A malformed tail, or a batch whose decode raises, is answered with an error (that stream skips the round) and the
  worker goes on serving.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import wait
from pathlib import Path

import numpy as np
import pytest
import redis

from audio.transcription.caption_batch import caption_decoder
from audio.transcription.caption_pool import STALE_S, CaptionsUnavailable, RemoteCaptionClient
from audio.transcription.evaluation import normalize
from audio.transcription.live import LiveCaptioner
from audio.transcription.whisper_local import read_audio
from tests.helpers import frames, read_wav_pcm16

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


class Workers:
    def __init__(self, redis_url: str, prefix: str, tmp: Path) -> None:
        self.redis_url, self.prefix, self.tmp = redis_url, prefix, tmp
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        env = {**os.environ, "REDIS_URL": self.redis_url, "LIVE_CAPTION_QUEUE_PREFIX": self.prefix,
               "DJANGO_SETTINGS_MODULE": "interviewprep.settings"}
        log = (self.tmp / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen([sys.executable, "manage.py", "caption_worker", "--name", name],
                                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + 120
        while client.zscore(f"{self.prefix}:workers", name) is None:
            if self.procs[name].poll() is not None:
                pytest.fail(f"caption worker {name} exited {self.procs[name].returncode}: "
                            f"{(self.tmp / f'{name}.log').read_text()[-2000:]}")
            assert time.monotonic() < deadline, f"caption worker {name} did not start"
            time.sleep(0.1)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def pool(redis_url: str, tmp_path: Path, settings):  # noqa: ANN001, ANN201
    prefix = f"test-captions-{uuid.uuid4().hex[:8]}"
    settings.REDIS_URL, settings.LIVE_CAPTION_BACKEND, settings.LIVE_CAPTION_QUEUE_PREFIX = redis_url, "redis", prefix
    settings.LIVE_CAPTION_REMOTE_TIMEOUT_S = 3.0
    caption_decoder.reset()
    workers = Workers(redis_url, prefix, tmp_path)
    yield workers
    workers.stop_all()
    if caption_decoder.loaded:
        caption_decoder.get().close()
    caption_decoder.reset()
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def first_look(client: RemoteCaptionClient) -> RemoteCaptionClient:
    """The client once its receiver thread has counted the live workers (it never asks Redis on the caller's thread)."""
    deadline = time.monotonic() + 10
    while client.workers_alive is None:
        assert time.monotonic() < deadline, "the caption client never looked for workers"
        time.sleep(0.01)
    return client


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def test_tails_sent_together_are_decoded_together_with_their_own_words(pool: Workers, speech_dir: Path):
    pool.start("w1")
    client = caption_decoder.get()
    assert isinstance(client, RemoteCaptionClient) and first_look(client).workers_alive == 1
    jfk, harvard = read_audio(speech_dir / "jfk.wav"), read_audio(speech_dir / "harvard_spk1_1.wav")
    futures = [client.submit(audio=pcm16(jfk[: 16000 * 6]), offset_s=10.0, prompt="")]
    futures += [client.submit(audio=pcm16(harvard), offset_s=float(k), prompt="") for k in range(5)]
    done, _ = wait(futures, timeout=60)
    assert len(done) == 6
    first = [w.text for w in futures[0].result()]
    assert normalize(" ".join(first))[:5] == ["and", "so", "my", "fellow", "americans"], first
    assert all(10.0 <= w.start <= 16.0 for w in futures[0].result())
    texts = {" ".join(normalize(" ".join(w.text for w in f.result()))) for f in futures[1:]}
    assert len(texts) == 1 and "the child almost hurt the small dog" in texts.pop()
    # Five or six tails waited while the first batch ran: fewer decodes than tails.
    assert len(client.batches) < 6 and sum(client.batches.values()) == 6


async def test_a_worker_killed_mid_answer_hands_the_captions_to_the_other(pool: Workers, speech_dir: Path):
    pool.start("w1")
    events: list[dict] = []

    async def emit(event: dict) -> None:
        events.append(event)

    captioner = LiveCaptioner(emit=emit, prefer="local")
    await captioner.start()
    pcm = read_wav_pcm16(speech_dir / "jfk.wav") + read_wav_pcm16(speech_dir / "harvard_spk1_1.wav")
    client = caption_decoder.get()
    killed_at = None
    for k, chunk in enumerate(frames(pcm)):
        await captioner.feed(chunk)
        await asyncio.sleep(len(chunk) / 32000)  # real time
        if killed_at is None and k * len(chunk) >= 5 * 32000:
            pool.kill("w1")
            killed_at = len(events)
            await asyncio.to_thread(pool.start, "w2")
    await captioner.finish()
    served = client.served_by
    assert served["w1"] >= 1 and served["w2"] >= 1, served
    finals = " ".join(e["text"] for e in events if e["type"] == "transcript.final")
    # Captions resumed after the loss and reached the Harvard sentence at the end of the answer.
    assert "small dog" in " ".join(normalize(finals)), finals
    assert not captioner._local._broken


async def test_with_no_worker_captions_pause_once_and_the_answer_goes_on(pool: Workers, speech_dir: Path):
    events: list[dict] = []

    async def emit(event: dict) -> None:
        events.append(event)

    captioner = LiveCaptioner(emit=emit, prefer="local")
    await captioner.start()
    await asyncio.to_thread(first_look, caption_decoder.get())
    for chunk in frames(read_wav_pcm16(speech_dir / "jfk.wav")[: 4 * 32000]):
        await captioner.feed(chunk)
        await asyncio.sleep(0.01)
    await captioner.finish()
    paused = [e for e in events if e["type"] == "captions.paused"]
    assert len(paused) == 1 and paused[0]["reason"] == "caption_workers_unavailable"
    assert captioner._local.unavailable >= 2 and not captioner._local._broken
    assert not [e for e in events if e["type"].startswith("transcript.")]


def test_a_stale_tail_is_dropped_by_the_worker_and_times_out_at_the_stream(pool: Workers, redis_url: str):
    pool.start("w1")
    client = redis.Redis.from_url(redis_url)
    reply = f"{pool.prefix}:reply:test"
    seconds, _ = client.time()  # an entry's age is read from its id, by Redis's clock
    client.xadd(f"{pool.prefix}:tails", {"id": "old", "reply": reply, "offset": 0.0, "prompt": "",
                                         "audio": b"\x00\x10" * 16000}, id=f"{int((seconds - STALE_S - 1) * 1000)}-0")
    deadline = time.monotonic() + 20
    while client.xlen(f"{pool.prefix}:tails") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.xlen(f"{pool.prefix}:tails") == 0  # taken, acknowledged and deleted
    time.sleep(1.5)
    assert client.llen(reply) == 0  # and never answered
    remote = caption_decoder.get()
    started = time.monotonic()
    pool.kill("w1")
    future = remote.submit(audio=b"\x00\x10" * 16000, offset_s=0.0, prompt="")  # the heartbeat has not expired
    with pytest.raises(CaptionsUnavailable):
        future.result(10)
    assert time.monotonic() - started < 8


def test_with_redis_unreachable_a_tail_is_refused_at_once():
    client = first_look(RemoteCaptionClient(redis_url="redis://127.0.0.1:1/0", prefix="unreachable", timeout_s=3.0))
    try:
        assert client.workers_alive == 0
        started = time.monotonic()
        with pytest.raises(CaptionsUnavailable, match="no caption worker"):
            client.submit(audio=b"\x00\x10" * 16000, offset_s=0.0, prompt="").result(1)
        assert time.monotonic() - started < 1
    finally:
        client.close()


def _reply(client: redis.Redis, key: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        popped = client.blpop([key], timeout=1)  # redis-py 8 reads with a 5 s socket timeout by default
        if popped is not None:
            return json.loads(popped[1])
    pytest.fail(f"no reply on {key} within {timeout_s} s")


def test_a_malformed_tail_is_answered_with_an_error_and_the_worker_goes_on(pool: Workers, redis_url: str,
                                                                           speech_dir: Path):
    pool.start("w1")
    client = redis.Redis.from_url(redis_url)
    speech = pcm16(read_audio(speech_dir / "jfk.wav"))
    good = f"{pool.prefix}:reply:good"
    bad = f"{pool.prefix}:reply:bad"
    # Sent back to back so that one read takes both: the bad one must not cost the good one its round.
    with client.pipeline() as pipe:
        pipe.xadd(f"{pool.prefix}:tails", {"id": "bad", "reply": bad, "offset": "not a number", "prompt": "",
                                           "audio": speech})
        pipe.xadd(f"{pool.prefix}:tails", {"id": "no-audio", "reply": bad, "offset": 0.0, "prompt": ""})
        pipe.xadd(f"{pool.prefix}:tails", {"id": "good", "reply": good, "offset": 0.0, "prompt": "",
                                           "audio": speech})
        pipe.execute()
    errors = sorted([_reply(client, bad), _reply(client, bad)], key=lambda m: m["id"])
    assert [m["id"] for m in errors] == ["bad", "no-audio"]
    assert all("malformed tail" in m["error"] and "words" not in m for m in errors)
    words = _reply(client, good)
    assert "error" not in words and "country" in normalize(" ".join(w["text"] for w in words["words"]))
    assert pool.procs["w1"].poll() is None  # still serving
    after = f"{pool.prefix}:reply:after"
    client.xadd(f"{pool.prefix}:tails", {"id": "after", "reply": after, "offset": 0.0, "prompt": "", "audio": speech})
    assert _reply(client, after)["words"]


def test_a_batch_that_raises_skips_that_round_for_each_stream_and_the_worker_goes_on(pool: Workers, redis_url: str,
                                                                                     monkeypatch, speech_dir: Path):
    from audio.transcription import whisper_local
    from audio.transcription.caption_pool import caption_worker_run

    real = whisper_local.caption_batch_decode
    broken = threading.Event()
    broken.set()
    calls: list[int] = []

    def fails_while_broken(*, tails):  # noqa: ANN001, ANN202 - the decoder's own signature
        calls.append(len(tails))
        if broken.is_set():
            raise RuntimeError("decoder out of memory")
        return real(tails=tails)

    monkeypatch.setattr(whisper_local, "caption_batch_decode", fails_while_broken)
    stop = threading.Event()
    worker = threading.Thread(target=caption_worker_run, daemon=True,
                              kwargs={"redis_url": redis_url, "prefix": pool.prefix, "name": "inproc", "batch_max": 8,
                                      "stop": stop})
    worker.start()
    try:
        remote = first_look(caption_decoder.get())
        deadline = time.monotonic() + 120
        while remote.workers_alive != 1:  # the receiver thread recounts once a second
            assert time.monotonic() < deadline and worker.is_alive(), "the in-process worker never came up"
            time.sleep(0.1)
        speech = pcm16(read_audio(speech_dir / "jfk.wav"))
        first = [remote.submit(audio=speech, offset_s=0.0, prompt="") for _ in range(2)]
        for future in first:
            with pytest.raises(CaptionsUnavailable, match="out of memory"):
                future.result(30)
        broken.clear()
        again = remote.submit(audio=speech, offset_s=0.0, prompt="").result(30)
        assert "country" in normalize(" ".join(w.text for w in again))
        assert worker.is_alive() and len(calls) >= 2
    finally:
        stop.set()
        worker.join(10)
