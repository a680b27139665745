"""Whole files through the streaming analyzer: the offline path (`manage.py analyze_audio`) and benches.

Reads WAV, FLAC or MP3 with soundfile (libsndfile >= 1.1 decodes MP3), falling back to librosa/audioread for
anything else; mixes to mono and resamples to 16 kHz with a polyphase filter, then feeds the SAME analyzer the
live socket uses, in 4096-byte frames, so offline and live numbers agree by construction.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from audio.dsp.analyzer import StreamingAnalyzer

TARGET_RATE = 16000
FRAME_BYTES = 4096


class AudioReadError(Exception):
    """The file is missing or not decodable audio."""


def load_mono_16k(path: Path) -> np.ndarray:
    """Samples in [-1, 1] at 16 kHz, mono, float64."""
    path = Path(path)
    if not path.is_file():
        raise AudioReadError(f"no such file: {path}")
    try:
        import soundfile

        data, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
        samples = data.mean(axis=1)
    except Exception as exc:  # noqa: BLE001 - libsndfile's errors are generic; try the slower decoder once
        try:
            import warnings

            import librosa

            with warnings.catch_warnings():  # librosa warns that it falls back to audioread: we know
                warnings.simplefilter("ignore")
                samples, rate = librosa.load(str(path), sr=None, mono=True)
            samples = samples.astype(np.float64)
        except Exception as fallback:  # noqa: BLE001
            raise AudioReadError(f"cannot read audio from {path}: {fallback or exc}") from fallback
    if rate != TARGET_RATE and samples.size:
        from scipy.signal import resample_poly

        ratio = Fraction(TARGET_RATE, int(rate)).limit_denominator(1000)
        samples = resample_poly(samples, ratio.numerator, ratio.denominator)
    return samples


def to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 32767 / 32768) * 32768.0).round().astype("<i2").tobytes()


def analyze_pcm(pcm: bytes, *, frame_bytes: int = FRAME_BYTES) -> dict[str, Any]:
    analyzer = StreamingAnalyzer(sample_rate=TARGET_RATE)
    for i in range(0, len(pcm), frame_bytes):
        analyzer.feed(pcm[i:i + frame_bytes])
    return analyzer.finish()


def analyze_file(path: Path) -> dict[str, Any]:
    """The analyzer's aggregates for one audio file (raises AudioReadError)."""
    return analyze_pcm(to_pcm16(load_mono_16k(path)))


def flat_report(aggregates: dict[str, Any]) -> dict[str, Any]:
    """One flat JSON object of every scalar aggregate, under the analyzer's own names (the names `Answer.signal`
    stores and pipeline.measures reads: one name per measurement, no aliases), the headline measures first."""
    first = ("duration_s", "speaking_time_s", "voiced_fraction", "pitch_median_hz", "pitch_std_st", "pitch_range_st",
             "monotone", "jitter_local", "shimmer_local", "loudness_mean_dbfs", "loudness_std_db", "pause_count",
             "pauses_over_1s", "longest_pause_s", "pause_total_s")
    named = {key: aggregates[key] for key in first}
    rest = {k: v for k, v in aggregates.items() if k not in named and not isinstance(v, dict | list)}
    return {**named, **rest}
