"""Praat's jitter (local) and shimmer (local) from glottal marks (audio/dsp/marks.py), in O(1) memory.

Formulas (Praat VoiceAnalysis.cpp, AmplitudeTier.cpp), with Praat's voice-report defaults:
- jitter (local) = mean |T_i - T_{i+1}| over consecutive period pairs with both periods in [PMIN, PMAX] and ratio
  <= MAX_PERIOD_FACTOR, divided by the mean period (periods in range whose ratio to a neighbour is <= 1.3).
- shimmer (local) = mean |A_i - A_{i+1}| over consecutive amplitude points <= PMAX apart with ratio
  <= MAX_AMPLITUDE_FACTOR, divided by the mean amplitude of all points but the last; A_i is the Hann-windowed RMS
  from 0.2 of the previous period before the mark to 0.2 of the next period after it, for marks whose two
  periods pass the jitter rule.
"""

from __future__ import annotations

import numpy as np

PMIN_S = 0.0001
PMAX_S = 0.02
MAX_PERIOD_FACTOR = 1.3
MAX_AMPLITUDE_FACTOR = 1.6


def hann_rms(signal: np.ndarray, marks: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Praat's Sound_getHannWindowedRms around each mark, widths in samples (vectorised over marks)."""
    reach = int(np.ceil(max(left.max(initial=0.0), right.max(initial=0.0)))) + 1
    offsets = np.arange(-reach, reach + 1)
    base = np.floor(marks).astype(np.int64)
    index = base[:, None] + offsets[None, :]
    rel = index - marks[:, None]
    width = np.where(rel < 0, left[:, None], right[:, None])
    inside = np.abs(rel) <= width
    window = np.where(inside, 0.5 + 0.5 * np.cos(np.pi * rel / np.maximum(width, 1e-9)), 0.0)
    values = signal[np.clip(index, 0, signal.size - 1)] * window
    weight = np.sum(window * window, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((inside.sum(axis=1) >= 3) & (weight > 0), np.sqrt(np.sum(values * values, axis=1) / weight),
                        np.nan)


def _period_ok(p: np.ndarray, pmin: float, pmax: float) -> np.ndarray:
    return (p >= pmin) & (p <= pmax)


def _factor(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.maximum(a, b) / np.minimum(a, b)


class PerturbationAccumulator:
    """Streaming jitter/shimmer over marks given in time order, in blocks; keeps only the last few marks.

    Marks are absolute sample positions (float). The amplitude of a mark needs the next mark, and the mean-period
    rule needs the next period, so the last two marks of a block wait for the next block (or `close`).
    """

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.pmin = PMIN_S * sample_rate
        self.pmax = PMAX_S * sample_rate
        self._tail = np.zeros(0)  # the last marks (up to 3) seen, positions in samples
        self._last_amp: tuple[float, float] | None = None  # (position, amplitude) of the last amplitude point
        self.jitter_sum = 0.0
        self.jitter_pairs = 0
        self.period_sum = 0.0
        self.period_count = 0
        self.shimmer_sum = 0.0
        self.shimmer_pairs = 0
        self.amp_sum = 0.0
        self.amp_count = 0
        self.mark_count = 0

    def add(self, marks: np.ndarray, signal: np.ndarray, offset: int) -> None:
        """New marks (absolute positions), with `signal` holding samples from absolute position `offset` on.

        `signal` must cover every new mark and the last two carried ones with 0.2 * PMAX of margin.
        """
        self.mark_count += int(marks.size)
        t = np.concatenate([self._tail, marks])
        if t.size < 3:
            self._tail = t
            return
        p = np.diff(t)
        p1, p2 = p[:-1], p[1:]
        # Jitter numerator: each interior mark (t[1:-1]) not seen as interior before. The tail holds the last
        # <=3 marks; interiors already counted are those with both neighbours inside the old tail.
        first_new = max(self._tail.size - 2, 0)
        ok = _period_ok(p1, self.pmin, self.pmax) & _period_ok(p2, self.pmin, self.pmax) & (
            _factor(p1, p2) <= MAX_PERIOD_FACTOR)
        ok[:first_new] = False
        self.jitter_sum += float(np.sum(np.abs(p1 - p2)[ok]))
        self.jitter_pairs += int(ok.sum())
        self._add_mean_periods(p, first_new)
        self._add_amplitudes(t, p1, p2, ok, signal, offset)
        self._tail = t[-3:]

    def _add_mean_periods(self, p: np.ndarray, first_new: int) -> None:
        # Period i (between t[i] and t[i+1]) is decided once its next period is known: i in [first_new, len-2].
        # Praat's PointProcess_isPeriod: in range, and within the factor of the previous or the next interval.
        i = np.arange(first_new, p.size - 1)
        if i.size == 0:
            return
        cur, nxt = p[i], p[i + 1]
        prev = np.where(i > 0, p[np.maximum(i - 1, 0)], np.nan)
        near = (_factor(cur, nxt) <= MAX_PERIOD_FACTOR) | (np.nan_to_num(_factor(cur, prev), nan=np.inf)
                                                            <= MAX_PERIOD_FACTOR)
        ok = _period_ok(cur, self.pmin, self.pmax) & near
        self.period_sum += float(cur[ok].sum())
        self.period_count += int(ok.sum())

    def _add_amplitudes(self, t: np.ndarray, p1: np.ndarray, p2: np.ndarray, ok: np.ndarray, signal: np.ndarray,
                        offset: int) -> None:
        if not ok.any():
            return
        where = t[1:-1][ok]
        amp = hann_rms(signal, where - offset, 0.2 * p1[ok], 0.2 * p2[ok])
        keep = np.isfinite(amp) & (amp > 0)
        where, amp = where[keep], amp[keep]
        if where.size == 0:
            return
        if self._last_amp is not None:
            where = np.concatenate([[self._last_amp[0]], where])
            amp_all = np.concatenate([[self._last_amp[1]], amp])
        else:
            amp_all = amp
        gaps = np.diff(where)
        a1, a2 = amp_all[:-1], amp_all[1:]
        good = _period_ok(gaps, self.pmin, self.pmax) & (_factor(a1, a2) <= MAX_AMPLITUDE_FACTOR)
        self.shimmer_sum += float(np.abs(a1 - a2)[good].sum())
        self.shimmer_pairs += int(good.sum())
        self.amp_sum += float(amp.sum())
        self.amp_count += int(amp.size)
        self._last_amp = (float(where[-1]), float(amp_all[-1]))

    def close(self) -> None:
        """The stream ended: the final period has no successor; Praat counts it if its predecessor is near."""
        if self._tail.size >= 3:
            p = np.diff(self._tail)
            cur, prev = p[-1], p[-2]
            if self.pmin <= cur <= self.pmax and max(cur, prev) / min(cur, prev) <= MAX_PERIOD_FACTOR:
                self.period_sum += float(cur)
                self.period_count += 1
        self._tail = np.zeros(0)

    @property
    def jitter_local(self) -> float | None:
        if self.jitter_pairs < 1 or self.period_count == 0:
            return None
        return (self.jitter_sum / self.jitter_pairs) / (self.period_sum / self.period_count)

    @property
    def shimmer_local(self) -> float | None:
        # Praat's denominator: the mean of all amplitude points but the last.
        if self.shimmer_pairs < 1 or self.amp_count < 2 or self._last_amp is None:
            return None
        mean = (self.amp_sum - self._last_amp[1]) / (self.amp_count - 1)
        return (self.shimmer_sum / self.shimmer_pairs) / mean if mean > 0 else None
