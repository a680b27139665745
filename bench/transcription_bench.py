"""Transcription figures on this machine: WER, real-time factor, filler recall, caption latency, live streams.

    .venv/bin/python bench/transcription_bench.py [--repeat 3] [--max-streams 3] [--skip-live]
    .venv/bin/python bench/transcription_bench.py --fillers-only --filler-parts heldout

- WER (case, punctuation and numbers normalised) of plain whisper (baseline), the prompted decode and the final
  transcript (transcribe_final), in the same run, on the clips tuned on (../shared/speech and the `tune` speakers
  of tests/data/speech), on the held-out speakers, and on varied copies of the held-out clips.
- Real-time factor (decode seconds / audio seconds) of plain vs final, median over files and repeats, on the
  held-out clips and on a ~60 s answer made by joining them.
- `--model-path DIR`: the same for another CTranslate2 whisper model (e.g. base from a PyPI package).
- Fillers on espeak-ng speech (needs espeak-ng + sox): hesitation recall of plain, prompted and final decodes, and
  filler precision/recall of the final transcript on the labelled sentences of tests/audio/filler_sentences.py.
- Fillers on the labelled sets of tests/data/fillers (`--fillers-only`, `--filler-parts tuning|heldout`): precision
  and recall matched by position, on the text and spoken by espeak-ng in three voices (final transcript).
- Caption latency of the local live captioner fed jfk.wav in real time: wall time from the moment a word's
  audio end was fed to the first caption event (partial or final) holding it; p50 and p90.
- Simultaneous live local-caption streams: N streams in real time at once; kept up while p50 latency <= 1.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
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
from audio.transcription.evaluation import corpus_word_error_rate, read_manifest, variants
from audio.transcription.live import LiveCaptioner

SPEECH = ROOT.parent / "shared" / "speech"
REAL_SPEECH = ROOT / "tests" / "data" / "speech"
BYTES_PER_SECOND = 32000

Clip = tuple[str, np.ndarray, str]  # (name, 16 kHz samples, reference transcript)


def load_speech() -> list[Clip]:
    rows = read_manifest(SPEECH)
    return [(r["file"], whisper_local.read_audio(SPEECH / r["file"]), r["transcript"]) for r in rows]


def load_sets() -> dict[str, list[Clip]]:
    """The clips tuned on (../shared/speech and the `tune` speakers), the held-out speakers, and varied copies of
    the held-out clips (evaluation.variants)."""
    rows = read_manifest(REAL_SPEECH)
    own = {split: [(r["file"], whisper_local.read_audio(REAL_SPEECH / r["file"]), r["transcript"])
                   for r in rows if r["split"] == split] for split in ("tune", "heldout")}
    varied = [(f"{name} [{kind}]", audio, ref) for name, clean, ref in own["heldout"]
              for kind, audio in variants(clean).items()]
    return {"tuned on (shared + tune speakers)": load_speech() + own["tune"], "held-out speakers": own["heldout"],
            "held-out, varied (x5)": varied}


def decode(audio: np.ndarray, how: str) -> str:
    if how == "plain":
        return whisper_local.transcribe_array(audio, prompt=None).text
    if how == "prompted":
        return whisper_local.transcribe_array(audio, prompt=whisper_local.DISFLUENCY_PROMPT).text
    return whisper_local.transcribe_final(audio).text


def wer_table(sets: dict[str, list[Clip]]) -> None:
    print("\n## WER on real speech (corpus, normalised; hesitations not in the references count as insertions)")
    print("  plain = one decode without a prompt (baseline); prompted = the old final transcript; final = plain words")
    print("  + the prompted decode's hesitations merged by time, no word over silence (transcribe_final)")
    for name, clips in sets.items():
        words = sum(len(ref.split()) for _, _, ref in clips)
        row = []
        for how in ("plain", "prompted", "final"):
            pairs = [(ref, decode(audio, how)) for _, audio, ref in clips]
            row.append(f"{how} {corpus_word_error_rate(pairs):.3f}")
        print(f"  {name:36s} ({len(clips)} clips, {words} words): " + "   ".join(row))


def rtf_table(clips: list[Clip], repeat: int) -> None:
    print("\n## Real-time factor of the final transcript (median; lower is faster)")
    gap = np.zeros(8000, dtype=np.float32)
    joined = np.concatenate([part for _, audio, _ in clips for part in (audio, gap)] * 2)
    cases = [("short clips", [audio for _, audio, _ in clips]), (f"one {len(joined) / 16000:.0f} s answer", [joined])]
    for name, audios in cases:
        medians = {}
        for how in ("plain", "final"):
            rtfs = []
            for _ in range(repeat):
                for audio in audios:
                    started = time.perf_counter()
                    decode(audio, how)
                    rtfs.append((time.perf_counter() - started) / (len(audio) / 16000))
            medians[how] = statistics.median(rtfs)
        print(f"  {name:24s}: plain (baseline) {medians['plain']:.3f}   final {medians['final']:.3f}   "
              f"final / plain = {medians['final'] / medians['plain']:.2f}x")


def model_table(path: str, sets: dict[str, list[Clip]], repeat: int) -> None:
    """The same WER and RTF with another CTranslate2 whisper model (e.g. base), then back to the default."""
    from django.conf import settings

    print(f"\n## Another model: {path}")
    default = settings.WHISPER_MODEL_PATH
    settings.WHISPER_MODEL_PATH = path
    whisper_local.model.reset()
    try:
        started = time.perf_counter()
        whisper_local.model.get()
        print(f"  model load {time.perf_counter() - started:.2f} s")
        wer_table(sets)
        rtf_table(sets["held-out speakers"], repeat)
    finally:
        settings.WHISPER_MODEL_PATH = default
        whisper_local.model.reset()


def filler_recall() -> None:
    print("\n## Fillers on espeak-ng speech")
    from collections import Counter
    from shutil import which

    if not (which("espeak-ng") and which("sox")):
        print("  skipped: espeak-ng and sox are needed")
        return
    from audio.transcription.speech_metrics import detect_fillers
    from tests.audio.filler_sentences import LABELLED
    from tests.fakes.speech import FILLER_SENTENCES, synthesize

    def hesitations(text: str) -> int:
        return len(re.findall(r"\b(um+|uh+|uhm|er+m?|ah+)\b", text.lower()))

    with tempfile.TemporaryDirectory() as folder:
        audios = [whisper_local.read_audio(synthesize(text, Path(folder) / f"s{i}.wav", which))
                  for i, text in enumerate(FILLER_SENTENCES)]
        spoken = sum(hesitations(t) for t in FILLER_SENTENCES)
        print("  hesitations kept (um/uh/er/ah), and the WER of the other words:")
        for how in ("plain", "prompted", "final"):
            outs = [decode(audio, how) for audio in audios]
            found = sum(min(hesitations(o), hesitations(t)) for o, t in zip(outs, FILLER_SENTENCES, strict=True))
            refs = [(t, o) for t, o in zip(FILLER_SENTENCES, outs, strict=True)]
            print(f"    {how:9s}: recall {found}/{spoken} = {found / spoken:.2f}   "
                  f"WER (fillers excluded) {corpus_word_error_rate(refs, drop_fillers=True):.3f}")
        labelled = [whisper_local.read_audio(synthesize(text, Path(folder) / f"l{i}.wav", which))
                    for i, (text, _, _) in enumerate(LABELLED)]
    tp = fp = fn = 0
    for audio, (_, fillers, _) in zip(labelled, LABELLED, strict=True):
        words = whisper_local.transcribe_final(audio).words
        found_c = Counter(f["text"] for f in detect_fillers(words) if f["kind"] == "filler")
        hit = sum((Counter(fillers) & found_c).values())
        tp, fp, fn = tp + hit, fp + sum(found_c.values()) - hit, fn + len(fillers) - hit
    print(f"  all fillers on {len(LABELLED)} labelled sentences (tests/audio/filler_sentences.py, the rule author's; "
          f"matched by count per sentence), final transcript: precision {tp / max(1, tp + fp):.2f} "
          f"recall {tp / max(1, tp + fn):.2f} ({tp} of {tp + fn})")


# espeak-ng voices and rates for the labelled filler sets: an American male at a middle pace, a British female
# faster, a deeper American voice slower.
FILLER_VOICES = [("en-us", 150), ("en-gb+f3", 175), ("en-us+m7", 125)]
FILLER_SETS = ROOT / "tests" / "data" / "fillers"


def filler_sets_table(parts: list[str]) -> None:
    """Filler precision/recall of the final transcript on the labelled sets (tests/data/fillers), matched by
    position: on the text (with and without punctuation) and spoken by espeak-ng in three voices."""
    from shutil import which

    from audio.transcription.evaluation import FillerScore, read_filler_set, score_filler_set
    from tests.audio.test_fillers import unpunctuated, words_of
    from tests.fakes.speech import synthesize

    print("\n## Fillers on the labelled sets (tests/data/fillers; matched by position; final transcript)")
    for part in parts:
        rows = read_filler_set(FILLER_SETS / f"{part}.jsonl")
        n = sum(len(r["fillers"]) for r in rows)
        text = score_filler_set(rows, lambda _k, row: words_of(row["text"]))
        plain = score_filler_set(rows, lambda _k, row: words_of(unpunctuated(row["text"])))
        print(f"  {part} ({len(rows)} sentences, {n} fillers)")
        print(f"    text, punctuated   : precision {text.precision:.3f} recall {text.recall:.3f}  {text}")
        print(f"    text, unpunctuated : precision {plain.precision:.3f} recall {plain.recall:.3f}  {plain}")
        if not (which("espeak-ng") and which("sox")):
            print("    audio skipped: espeak-ng and sox are needed")
            continue
        total = FillerScore()
        with tempfile.TemporaryDirectory() as folder:
            for voice, rate in FILLER_VOICES:
                def spoken(k: int, row: dict, voice: str = voice, rate: int = rate) -> list:
                    wav = synthesize(row["text"], Path(folder) / f"{voice}-{k}.wav", which, words_per_minute=rate,
                                     voice=voice)
                    return whisper_local.transcribe_final(whisper_local.read_audio(wav)).words

                score = score_filler_set(rows, spoken)
                total = total + score
                print(f"    audio {voice:9s} -s {rate}: precision {score.precision:.3f} recall {score.recall:.3f}  "
                      f"{score}")
        print(f"    audio, all voices  : precision {total.precision:.3f} recall {total.recall:.3f}  {total}")


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
    parser.add_argument("--model-path", help="also measure this CTranslate2 whisper model folder (e.g. base)")
    parser.add_argument("--fillers-only", action="store_true", help="only the labelled filler sets")
    parser.add_argument("--filler-parts", default="tuning,heldout",
                        help="which parts of tests/data/fillers (tune on `tuning`; report `heldout`)")
    args = parser.parse_args()
    started = time.perf_counter()
    whisper_local.model.get()
    print(f"model load {time.perf_counter() - started:.2f} s; cpu threads {django.conf.settings.WHISPER_CPU_THREADS}")
    if args.fillers_only:
        filler_sets_table(args.filler_parts.split(","))
        return
    if not SPEECH.is_dir():
        sys.exit(f"no speech at {SPEECH}")
    if not args.only_live:
        sets = load_sets()
        wer_table(sets)
        rtf_table(sets["held-out speakers"], args.repeat)
        filler_recall()
        filler_sets_table(args.filler_parts.split(","))
        if args.model_path:
            model_table(args.model_path, sets, args.repeat)
    if not args.skip_live:
        asyncio.run(live_table(args.max_streams))


if __name__ == "__main__":
    main()
