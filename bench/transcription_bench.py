"""Transcription figures on this machine: WER, real-time factor, filler recall, caption latency, live streams.

    .venv/bin/python bench/transcription_bench.py [--repeat 3] [--max-streams 3] [--skip-live]

- WER on ../shared/speech (case, punctuation and numbers normalised), beam 1 vs beam 5, with and without the
  disfluency prompt (baseline: no prompt).
- Real-time factor (decode seconds / audio seconds) of the final transcript, median over files and repeats, on
  the short clips and on a ~50 s answer made by joining them; beam 1 is the baseline for beam 5.
- Filler recall: espeak-ng sentences with known "um"/"uh", with and without the prompt (needs espeak-ng + sox).
- Caption latency of the local live captioner fed jfk.wav in real time: wall time from the moment a word's
  audio end was fed to the first caption event (partial or final) holding it; p50 and p90.
- Simultaneous live local-caption streams: N streams in real time at once; kept up while p50 latency <= 1.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewprep.settings")

import django

django.setup()

import numpy as np

from audio.transcription import whisper_local
from audio.transcription.evaluation import corpus_word_error_rate
from audio.transcription.live import LiveCaptioner

SPEECH = ROOT.parent / "shared" / "speech"
BYTES_PER_SECOND = 32000


def load_speech() -> list[tuple[str, np.ndarray, str]]:
    with (SPEECH / "transcripts.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(r["file"], whisper_local.read_audio(SPEECH / r["file"]), r["transcript"]) for r in rows]


def wer_table(clips: list[tuple[str, np.ndarray, str]]) -> None:
    print("\n## WER on real speech (corpus, normalised)")
    for prompt_name, prompt in (("no prompt (baseline)", None), ("disfluency prompt", whisper_local.DISFLUENCY_PROMPT)):
        for beam in (1, 5):
            pairs = [(ref, whisper_local.transcribe_array(audio, beam_size=beam, prompt=prompt).text)
                     for _, audio, ref in clips]
            print(f"  beam {beam}, {prompt_name:22s}: WER {corpus_word_error_rate(pairs):.3f}")


def rtf_table(clips: list[tuple[str, np.ndarray, str]], repeat: int) -> None:
    print("\n## Real-time factor of the final transcript (median; lower is faster)")
    gap = np.zeros(8000, dtype=np.float32)
    joined = np.concatenate([part for _, audio, _ in clips for part in (audio, gap)] * 2)
    cases = [("short clips (2.5-11 s)", [audio for _, audio, _ in clips]),
             (f"one {len(joined) / 16000:.0f} s answer", [joined])]
    for name, audios in cases:
        medians = {}
        for beam in (1, 5):
            rtfs = []
            for _ in range(repeat):
                for audio in audios:
                    started = time.perf_counter()
                    whisper_local.transcribe_array(audio, beam_size=beam)
                    rtfs.append((time.perf_counter() - started) / (len(audio) / 16000))
            medians[beam] = statistics.median(rtfs)
        print(f"  {name:24s}: beam 1 (baseline) {medians[1]:.3f}   beam 5 {medians[5]:.3f}   "
              f"beam 5 / beam 1 = {medians[5] / medians[1]:.2f}x")


def filler_recall() -> None:
    print("\n## Filler recall on espeak-ng speech (um/uh/er/ah kept by whisper)")
    from shutil import which

    if not (which("espeak-ng") and which("sox")):
        print("  skipped: espeak-ng and sox are needed")
        return
    from tests.fakes.speech import FILLER_SENTENCES, synthesize

    def hesitations(text: str) -> int:
        return len(re.findall(r"\b(um+|uh+|uhm|er+m?|ah+)\b", text.lower()))

    with tempfile.TemporaryDirectory() as folder:
        paths = [synthesize(text, Path(folder) / f"s{i}.wav", which) for i, text in enumerate(FILLER_SENTENCES)]
        spoken = sum(hesitations(t) for t in FILLER_SENTENCES)
        for name, prompt in (("no prompt (baseline)", None), ("disfluency prompt", whisper_local.DISFLUENCY_PROMPT)):
            outs = [whisper_local.transcribe_file(p, prompt=prompt).text for p in paths]
            found = sum(min(hesitations(o), hesitations(t)) for o, t in zip(outs, FILLER_SENTENCES, strict=True))
            refs = [(t, o) for t, o in zip(FILLER_SENTENCES, outs, strict=True)]
            print(f"  {name:22s}: recall {found}/{spoken} = {found / spoken:.2f}   "
                  f"WER (fillers excluded) {corpus_word_error_rate(refs, drop_fillers=True):.3f}")


async def caption_run(pcm: bytes, *, speed: float = 1.0) -> tuple[list[float], LiveCaptioner]:
    """Feed pcm at `speed` x real time; latency of each word's first caption (seconds)."""
    seen: dict[float, float] = {}
    started = time.monotonic()

    async def emit(event: dict) -> None:
        now = time.monotonic()
        for word in event.get("words", []):
            # A word is identified by its start; later decodes move it by a few tens of ms.
            if any(abs(word["start"] - start) < 0.25 for start in seen):
                continue
            seen[word["start"]] = max(0.0, now - (started + word["end"] / speed))

    captioner = LiveCaptioner(emit=emit, prefer="local")
    await captioner.start()
    step = 4096
    for offset in range(0, len(pcm), step):
        await captioner.feed(pcm[offset : offset + step])
        target = started + (offset + step) / BYTES_PER_SECOND / speed
        await asyncio.sleep(max(0.0, target - time.monotonic()))
    await captioner.finish()
    return list(seen.values()), captioner


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def live_table(max_streams: int) -> None:
    pcm = Path(SPEECH / "jfk.wav")
    data = whisper_local.read_audio(pcm)
    raw = (np.clip(data, -1, 1) * 32767).astype("<i2").tobytes()
    print("\n## Caption latency, local live captioner, jfk.wav fed in real time")
    latencies, captioner = await caption_run(raw)
    stream = captioner._local
    print(f"  words {len(latencies)}   p50 {pct(latencies, 50):.2f} s   p90 {pct(latencies, 90):.2f} s   "
          f"decodes {stream.decodes}, skipped rounds {stream.skipped}")
    print("\n## Simultaneous live local-caption streams (real time each; kept up while p50 <= 1.5 s)")
    sustained = 0
    for n in range(1, max_streams + 1):
        results = await asyncio.gather(*(caption_run(raw) for _ in range(n)))
        all_lat = [v for lat, _ in results for v in lat]
        skipped = sum(c._local.skipped for _, c in results)
        decodes = sum(c._local.decodes for _, c in results)
        ok = pct(all_lat, 50) <= 1.5 and all(lat for lat, _ in results)
        sustained = n if ok else sustained
        print(f"  {n} stream(s): p50 {pct(all_lat, 50):.2f} s   p90 {pct(all_lat, 90):.2f} s   decodes {decodes}   "
              f"skipped rounds {skipped}   {'kept up' if ok else 'fell behind'}")
    print(f"  sustained: {sustained} stream(s) with LIVE_CAPTION_WORKERS={django.conf.settings.LIVE_CAPTION_WORKERS}"
          f", LIVE_CAPTION_INTERVAL_S={django.conf.settings.LIVE_CAPTION_INTERVAL_S}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-streams", type=int, default=3)
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--only-live", action="store_true")
    args = parser.parse_args()
    if not SPEECH.is_dir():
        sys.exit(f"no speech at {SPEECH}")
    started = time.perf_counter()
    whisper_local.model.get()
    print(f"model load {time.perf_counter() - started:.2f} s; cpu threads {django.conf.settings.WHISPER_CPU_THREADS}")
    if not args.only_live:
        clips = load_speech()
        wer_table(clips)
        rtf_table(clips, args.repeat)
        filler_recall()
    if not args.skip_live:
        asyncio.run(live_table(args.max_streams))


if __name__ == "__main__":
    main()
