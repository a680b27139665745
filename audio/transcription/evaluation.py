"""Word error rate with the normalisation transcribers need to be compared fairly (case, punctuation, numbers).

Used by the tests and bench/transcription_bench.py; "forty percent" and "40%" must count as the same words.
Also reads the speech folders' manifests and makes varied copies of a clip (speed, noise, level, reverberation).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

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
