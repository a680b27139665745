"""Live local captions at scale: the batched caption decoder against the per-stream one it replaced, in one run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/captions_bench.py --streams 1,4,8,12,16 --seconds 30

N simulated answers of real speech are fed in real time (4096-byte frames, starts staggered over one frame) into
the captioner the consumer uses (`LocalStream`), in this one process as in the embedded default; the signal path
and the server are left out (bench/loadgen.py measures them end to end). Per decoder and N it reports:

- caption latency: from the wall time the frame holding a caption's last word was fed to the caption's arrival
  (partials and finals), p50 and p95 over every caption of every stream;
- captions per stream, the decoder's mean batch size and busy share;
- WER of the live captions (the committed `transcript.final` words of a whole answer) against the reference, next
  to the final transcript's WER on the same audio (`transcribe_final`, computed once per distinct answer).

The speech: the held-out clips of tests/data/speech (speakers never tuned on), each followed by 0.5 s of
silence, repeated to `--seconds`; stream k starts at clip k, so neighbouring streams say different things.
The largest N with p50 <= 1.5 s and p95 <= 3 s is printed per decoder.

    OMP_NUM_THREADS=1 .venv/bin/python bench/captions_bench.py --quality

measures caption quality alone, independent of the machine's load: each answer is fed one frame at a time, and
the next frame waits until the decode it started has been handled, so every round decodes (the captions of an
idle machine). Live-caption WER per decoder on answers from the `tune` split (plus the shared JFK and Harvard
recordings) and from the `heldout` split, next to the final transcript's WER. "legacy" is the captioner before
batching with its own settings (full `transcribe()`, the filler-style prompt, 0.5 s overlap, 1.0 s margin).
Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewprep.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from audio.transcription import (
    local_stream,  # noqa: E402
    whisper_local,  # noqa: E402
)
from audio.transcription.caption_batch import caption_decoder  # noqa: E402
from audio.transcription.evaluation import (  # noqa: E402
    corpus_word_error_rate,
    joined_answers,
    read_manifest,
    settled_captions,
)
from audio.transcription.local_stream import LocalStream  # noqa: E402
from audio.transcription.whisper_local import read_audio, transcribe_final  # noqa: E402

FRAME = 4096
BYTES_PER_SECOND = 32000
SPEECH = ROOT / "tests" / "data" / "speech"
SHARED = Path(os.environ.get("SHARED_SPEECH_DIR") or ROOT.parent / "shared" / "speech")  # as tests/conftest.py
CURRENT = {"OVERLAP_S": local_stream.OVERLAP_S, "STABLE_MARGIN_S": local_stream.STABLE_MARGIN_S,
           "CAPTION_PROMPT": local_stream.CAPTION_PROMPT}
LEGACY = {"OVERLAP_S": 0.5, "STABLE_MARGIN_S": 1.0, "CAPTION_PROMPT": whisper_local.DISFLUENCY_PROMPT}


def use_decoder(name: str) -> None:
    """Switch the process's caption decoder, with the stream settings that went with it."""
    settings.LIVE_CAPTION_LEGACY = name == "legacy"
    settings.LIVE_CAPTION_BACKEND = "redis" if name.startswith("pool") else "process"
    for key, value in (LEGACY if name == "legacy" else CURRENT).items():
        setattr(local_stream, key, value)
    if caption_decoder.loaded and hasattr(caption_decoder.get(), "close"):
        caption_decoder.get().close()
    caption_decoder.reset()
LATENCY_P50_S, LATENCY_P95_S = 1.5, 3.0


def answers(seconds: float, count: int, split: str = "heldout") -> list[tuple[bytes, str]]:
    """`count` answers of about `seconds` of speech (PCM16) of one split, with their reference transcripts."""
    clips = [(read_audio(SPEECH / row["file"]), row["transcript"]) for row in read_manifest(SPEECH)
             if row["split"] == split]
    if split == "tune" and SHARED.is_dir():
        clips += [(read_audio(SHARED / row["file"]), row["transcript"]) for row in read_manifest(SHARED)]
    return joined_answers(clips, seconds=seconds, count=count)


class Recorder:
    def __init__(self, sent_at: list[float]) -> None:
        self.sent_at = sent_at  # wall time each frame was fed
        self.latencies: list[float] = []
        self.final_words: list[str] = []
        self.events = 0

    async def __call__(self, event: dict) -> None:
        now = time.monotonic()
        words = event.get("words") or []
        if not words:
            return
        self.events += 1
        frame = min(len(self.sent_at) - 1, int(words[-1]["end"] * BYTES_PER_SECOND) // FRAME)
        if frame < len(self.sent_at) and self.sent_at[frame] > 0:
            self.latencies.append(now - self.sent_at[frame])
        if event["type"] == "transcript.final":
            self.final_words += [w["text"] for w in words]


async def stream_one(pcm: bytes, recorder: Recorder, delay_s: float) -> None:
    stream = LocalStream(emit=recorder)
    await asyncio.sleep(delay_s)
    start = time.monotonic()
    for index in range(0, len(pcm), FRAME):
        wait = start + (index + FRAME) / BYTES_PER_SECOND - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        recorder.sent_at[index // FRAME] = time.monotonic()
        stream.feed(pcm[index: index + FRAME])
    await stream.finish()


async def run(n: int, audio: list[tuple[bytes, str]]) -> dict:
    recorders = [Recorder([0.0] * (len(pcm) // FRAME + 1)) for pcm, _ in audio[:n]]
    await asyncio.gather(*[stream_one(pcm, rec, FRAME / BYTES_PER_SECOND * k / n)
                           for k, ((pcm, _), rec) in enumerate(zip(audio, recorders, strict=False))])
    await asyncio.sleep(0.5)  # captions still in flight
    latencies = [v for r in recorders for v in r.latencies]
    pairs = [(text, " ".join(r.final_words)) for (_, text), r in zip(audio, recorders, strict=False)]
    return {"streams": n,
            "caption_p50_s": round(float(np.percentile(latencies, 50)), 3) if latencies else None,
            "caption_p95_s": round(float(np.percentile(latencies, 95)), 3) if latencies else None,
            "captions_per_stream": round(statistics.mean(r.events for r in recorders), 1),
            "caption_wer": round(corpus_word_error_rate(pairs), 4)}


@contextlib.contextmanager
def caption_workers(name: str, redis_url: str) -> Iterator[None]:
    """`poolN`: N `manage.py caption_worker` processes (one CTranslate2 thread each) on a fresh key prefix."""
    if not name.startswith("pool"):
        yield
        return
    import redis

    prefix = f"bench-captions-{uuid.uuid4().hex[:8]}"
    settings.REDIS_URL, settings.LIVE_CAPTION_QUEUE_PREFIX = redis_url, prefix
    env = {**os.environ, "REDIS_URL": redis_url, "LIVE_CAPTION_QUEUE_PREFIX": prefix,
           "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "manage.py", "caption_worker", "--name", f"w{k}"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in range(int(name[4:]))]
    client = redis.Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + 120
        while client.zcard(f"{prefix}:workers") < len(procs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("caption workers did not start")
            time.sleep(0.2)
        use_decoder(name)
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def quality(decoders: list[str], seconds: float, count: int) -> None:
    print("| split | decoder | live-caption WER | final transcript WER |")
    print("|---|---|---|---|")
    for split in ("tune", "heldout"):
        audio = answers(seconds, count, split)
        final = corpus_word_error_rate([(text, transcribe_final(np.frombuffer(pcm, "<i2").astype(np.float32)
                                                                / 32768).text) for pcm, text in audio])
        for decoder in decoders:
            use_decoder(decoder)
            live = corpus_word_error_rate([(text, asyncio.run(settled_captions(pcm))) for pcm, text in audio])
            print(f"| {split} | {decoder} | {live:.4f} | {final:.4f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", default="1,4,8,12,16", help="comma-separated stream counts")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--decoders", default="legacy,batched",
                        help="legacy, batched (in this process), pool1, pool2 (caption worker processes via Redis)")
    parser.add_argument("--quality", action="store_true", help="caption WER only, every round decoded")
    parser.add_argument("--answers", type=int, default=4, help="--quality: answers per split")
    args = parser.parse_args()
    if args.quality:
        quality(args.decoders.split(","), args.seconds, args.answers)
        return
    counts = [int(c) for c in args.streams.split(",")]
    audio = answers(args.seconds, max(counts))
    distinct = {text: pcm for pcm, text in audio}
    final_wer = corpus_word_error_rate([(text, transcribe_final(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768)
                                        .text) for text, pcm in distinct.items()])
    print(f"final transcript WER on these answers: {final_wer:.4f} ({len(distinct)} distinct answers)")
    rows = []
    redis_server = None
    if any(d.startswith("pool") for d in args.decoders.split(",")):
        from bench.loadgen import start_private_redis

        redis_server, redis_url = start_private_redis(Path(tempfile.mkdtemp(prefix="captions-bench-")))
    for n in counts:
        for decoder in args.decoders.split(","):
            use_decoder(decoder)
            with caption_workers(decoder, redis_url if redis_server else ""):
                report = asyncio.run(run(n, audio))
                used = caption_decoder.get()
            stats = used.stats() if decoder == "batched" else None
            pooled = list(used.batches.values()) if decoder.startswith("pool") else []
            report.update({"decoder": decoder, "final_wer": round(final_wer, 4),
                           "mean_batch": stats.mean_batch if stats else
                           (round(sum(pooled) / len(pooled), 2) if pooled else None),
                           "busy_fraction": stats.busy_fraction if stats else None,
                           "load_1m": round(os.getloadavg()[0], 2)})
            rows.append(report)
            print(json.dumps(report), flush=True)
    print("\n| decoder | streams | caption p50 s | caption p95 s | captions/stream | caption WER | final WER | "
          "mean batch |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['decoder']} | {r['streams']} | {r['caption_p50_s']} | {r['caption_p95_s']} | "
              f"{r['captions_per_stream']} | {r['caption_wer']:.3f} | {r['final_wer']:.3f} | {r['mean_batch']} |")
    if redis_server is not None:
        redis_server.terminate()
    for decoder in args.decoders.split(","):
        ok = [r["streams"] for r in rows if r["decoder"] == decoder and r["caption_p50_s"] is not None
              and r["caption_p50_s"] <= LATENCY_P50_S and r["caption_p95_s"] <= LATENCY_P95_S]
        print(f"{decoder}: largest N at p50 <= {LATENCY_P50_S} s and p95 <= {LATENCY_P95_S} s: "
              f"{max(ok) if ok else 0}")


if __name__ == "__main__":
    main()
