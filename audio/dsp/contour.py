"""Cleaning the stored pitch contour: octave jumps folded back, outliers dropped.

YIN, like every period tracker, sometimes locks onto twice or half the period for a frame or two (a creaky
phrase end, a plosive's burst): one such point at 400 Hz in a 100 Hz voice squashes the chart of the whole answer
into a flat line. Each voiced point is compared with the median of the voiced points around it (a local
reference, so real intonation, which moves slowly, is kept); a point about an octave away is moved by that
octave, and one still further than MAX_DEVIATION_ST from the reference is dropped. Only the drawn contour is
cleaned; the pitch statistics come from the histogram of every voiced frame, whose percentiles resist outliers.
"""

from __future__ import annotations

import math

# Neighbours on each side forming the local reference (16 ms frames before any decimation: ~0.5 s).
HALF_WINDOW = 15
# A point within this many semitones of an octave above or below the reference is an octave error.
OCTAVE_TOLERANCE_ST = 3.0
# After folding, a point further than this from the reference is not believed (a ninth: wider than a
# speaking voice moves within half a second).
MAX_DEVIATION_ST = 9.0
MIN_NEIGHBOURS = 3


def clean_contour(pitch_hz: list[float | None]) -> list[float | None]:
    """The contour with octave jumps folded and outliers set to None (unvoiced); same length."""
    voiced = [(i, f) for i, f in enumerate(pitch_hz) if f is not None and f > 0]
    if len(voiced) < MIN_NEIGHBOURS:
        return list(pitch_hz)
    semitones = [12.0 * math.log2(f / 100.0) for _, f in voiced]
    cleaned: list[float | None] = list(pitch_hz)
    for k, (i, f) in enumerate(voiced):
        lo, hi = max(0, k - HALF_WINDOW), min(len(voiced), k + HALF_WINDOW + 1)
        around = sorted(semitones[lo:k] + semitones[k + 1:hi])
        if len(around) < MIN_NEIGHBOURS:
            continue
        reference = around[len(around) // 2]
        offset = semitones[k] - reference
        if abs(offset - 12.0) <= OCTAVE_TOLERANCE_ST:
            f, offset = f / 2.0, offset - 12.0
        elif abs(offset + 12.0) <= OCTAVE_TOLERANCE_ST:
            f, offset = f * 2.0, offset + 12.0
        cleaned[i] = round(f, 1) if abs(offset) <= MAX_DEVIATION_ST else None
    return cleaned
