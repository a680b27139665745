"""Word error rate with the normalisation transcribers need to be compared fairly (case, punctuation, numbers).

Used by the tests and bench/transcription_bench.py; "forty percent" and "40%" must count as the same words.
Also reads the speech folders' manifests and makes varied copies of a clip (speed, noise, level, reverberation),
and scores found fillers against labelled ones by position (tests/data/fillers).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from audio.transcription.base import Word

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_FILLERS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "mm"}


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalize(text: str, *, drop_fillers: bool = False) -> list[str]:
    """Lower case, numbers spelt out, "%" as "percent", hyphens as spaces, other punctuation dropped."""
    text = text.lower().replace("%", " percent").replace("-", " ").replace("’", "'")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    words = re.sub(r"[^\w' ]", " ", text).split()
    words = [w.strip("'") for w in words if w.strip("'")]
    return [w for w in words if not (drop_fillers and w in _FILLERS)]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str, *, drop_fillers: bool = False) -> float:
    ref = normalize(reference, drop_fillers=drop_fillers)
    hyp = normalize(hypothesis, drop_fillers=drop_fillers)
    if not ref:
        return 0.0 if not hyp else 1.0
    return word_errors(ref, hyp) / len(ref)


def corpus_word_error_rate(pairs: list[tuple[str, str]], *, drop_fillers: bool = False) -> float:
    """Errors over all references / words in all references (not a mean of per-file rates)."""
    errors = words = 0
    for reference, hypothesis in pairs:
        ref = normalize(reference, drop_fillers=drop_fillers)
        errors += word_errors(ref, normalize(hypothesis, drop_fillers=drop_fillers))
        words += len(ref)
    return errors / words if words else 0.0


def read_manifest(folder: Path) -> list[dict[str, str]]:
    """The rows of a speech folder's `manifest.tsv` (file, transcript, speaker, split, source) or, for a folder with
    only `transcripts.tsv` (file, transcript), those rows as one `tune` speaker."""
    manifest = folder / "manifest.tsv"
    path = manifest if manifest.exists() else folder / "transcripts.tsv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        row.setdefault("speaker", folder.name)
        row.setdefault("split", "tune")
    return rows


def variants(samples: np.ndarray, *, seed: int = 0) -> dict[str, np.ndarray]:
    """The same speech made different (16 kHz floats): slower, faster, noisier, quieter, reverberant.

    Speed by resampling (pitch moves with it, as with a faster talker); noise white at 15 dB SNR; level -20 dB;
    reverberation an exponentially decaying noise tail (RT60 0.4 s) mixed with the dry signal.
    """
    from scipy.signal import fftconvolve, resample_poly

    rng = np.random.default_rng(seed)
    x = np.asarray(samples, dtype=np.float64)
    power = float(np.mean(x * x)) or 1e-12
    tail = np.arange(int(0.4 * 16000)) / 16000
    impulse = rng.standard_normal(tail.size) * np.exp(-6.9 * tail / 0.4)
    impulse[0] = 1.0 / 0.3
    wet = fftconvolve(x, impulse * 0.3)[: x.size]
    wet *= np.sqrt(power / (float(np.mean(wet * wet)) or 1e-12))
    out = {
        "slower x0.9": resample_poly(x, 10, 9),
        "faster x1.1": resample_poly(x, 9, 10),
        "noise 15 dB": x + rng.standard_normal(x.size) * np.sqrt(power / 10 ** 1.5),
        "level -20 dB": x * 0.1,
        "reverb 0.4 s": wet,
    }
    return {name: np.clip(v, -1.0, 1.0).astype(np.float32) for name, v in out.items()}


@dataclass(frozen=True, slots=True)
class FillerScore:
    """Filler matches over labelled sentences: a found filler counts only where the label puts that filler."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: FillerScore) -> FillerScore:
        return FillerScore(tp=self.tp + other.tp, fp=self.fp + other.fp, fn=self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _token(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower().replace("’", "'"))


_HESITATION_CLASS = {"um": "hesitation", "uh": "hesitation", "er": "hesitation", "ah": "hesitation"}


def score_fillers(reference: str, labels: list[tuple[str, int]], heard: list[str],
                  found: list[tuple[str, int]]) -> FillerScore:
    """Match fillers found in a transcript (`heard` words; (filler, index of its first word)) to the labelled ones
    ((filler, index of its first word in `reference.split()`)); um, uh, er and ah are one class.

    The transcript is aligned to the reference word by word, so a "so" found where the speaker said a content "so"
    is a false positive even when the sentence also holds a filler "so" elsewhere. A found filler on a word the
    alignment could not place (an inserted hesitation) matches a labelled one of the same text between the
    neighbouring placed words.
    """
    # One class for hesitations: whisper spells the same sound "uh", "er" or "um" by voice, and each is one filler.
    labels = [(_HESITATION_CLASS.get(t, t), j) for t, j in labels]
    found = [(_HESITATION_CLASS.get(t, t), i) for t, i in found]
    ref = [_token(w) for w in reference.split()]
    hyp = [_token(w) for w in heard]
    to_ref: dict[int, int] = {}
    for block in SequenceMatcher(a=hyp, b=ref, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            to_ref[block.a + k] = block.b + k
    open_labels = list(labels)
    tp = fp = 0
    for text, i in found:
        if i in to_ref:
            candidates = [(text, to_ref[i])]
        else:
            low = max((to_ref[k] for k in to_ref if k < i), default=-1)
            high = min((to_ref[k] for k in to_ref if k > i), default=len(ref))
            candidates = [(t, j) for t, j in open_labels if t == text and low < j < high]
        hit = next((c for c in candidates if c in open_labels), None)
        if hit is None:
            fp += 1
        else:
            open_labels.remove(hit)
            tp += 1
    return FillerScore(tp=tp, fp=fp, fn=len(open_labels))


def read_filler_set(path: Path) -> list[dict]:
    """A labelled filler file (tests/data/fillers/*.jsonl): `text`, `fillers` [{word, index}], `style`."""
    with path.open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score_filler_set(rows: list[dict], words_of: Callable[[int, dict], list[Word]]) -> FillerScore:
    """Fillers found by `detect_fillers` in `words_of(k, row)` (a transcript of labelled row k: the text itself,
    or what a transcriber made of it spoken), scored against the row's labels by position."""
    from audio.transcription.speech_metrics import detect_fillers

    total = FillerScore()
    for k, row in enumerate(rows):
        words = words_of(k, row)
        found = [(f["text"], f["index"]) for f in detect_fillers(words) if f["kind"] == "filler"]
        labels = [(f["word"], f["index"]) for f in row["fillers"]]
        total = total + score_fillers(row["text"], labels, [w.text for w in words], found)
    return total


def joined_answers(clips: list[tuple[np.ndarray, str]], *, seconds: float, count: int,
                   gap_s: float = 0.5) -> list[tuple[bytes, str]]:
    """`count` long answers (PCM16 at 16 kHz) made of clips (samples, transcript) with `gap_s` of silence after
    each, repeated up to `seconds`; answer k starts at clip k, so neighbouring answers say different things."""
    gap = np.zeros(int(16000 * gap_s), dtype=np.float32)
    out = []
    for k in range(count):
        parts, texts, total, index = [], [], 0.0, k
        while total < seconds:
            samples, text = clips[index % len(clips)]
            parts += [samples, gap]
            texts.append(text)
            total += (len(samples) + len(gap)) / 16000
            index += 1
        audio = np.clip(np.concatenate(parts), -1.0, 1.0)
        out.append(((audio * 32767).astype("<i2").tobytes(), " ".join(texts)))
    return out


async def settled_captions(pcm: bytes, *, frame: int = 4096) -> str:
    """The committed live captions of an answer fed one frame at a time, each frame waiting until the decode the
    previous one started has been handled: every round decodes, as on an idle machine, so the figure measures the
    captioner's quality apart from the machine's load."""
    import asyncio

    from audio.transcription.local_stream import LocalStream

    words: list[str] = []

    async def emit(event: dict) -> None:
        if event["type"] == "transcript.final":
            words.extend(w["text"] for w in event["words"])

    stream = LocalStream(emit=emit)
    for index in range(0, len(pcm), frame):
        stream.feed(pcm[index: index + frame])
        while stream._in_flight is not None or stream._tasks:
            await asyncio.sleep(0.005)
    await stream.finish()
    return " ".join(words)
