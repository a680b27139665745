"""Glottal period marks over voiced stretches, many stretches per call, with no Python loop over cycles.

Praat's "To PointProcess (periodic, cc)" walks the waveform one period at a time: it centres a one-period window
on the last point and takes as the next point the centre of the window in [0.8, 1.25] periods further on that
correlates best with it (parabolic refinement). The periods it measures are those correlation lags. That walk is
sequential; here every lag is found at once:

1. Coarse marks: the signal smoothed by two centred moving averages of 0.7 local period (a triangle 1.4 periods
   wide, widths per sample from the pitch track, via cumulative sums) is dominated by the fundamental: its peaks
   that are the largest within +-0.6 periods give one mark per cycle at a stable phase. Raw peaks do not (the
   ranking of competing formant peaks flips from cycle to cycle: a clean synthetic vowel read 3-4 % jitter).
2. Cycle lags: the one-period window centred on each coarse mark, shifted to the phase of the waveform's largest
   extremum as Praat's points are (centred on the smoothed peak the window can cut through the excitation and
   read up to 2x Praat's jitter), is correlated with every window centred 0.8-1.25 local periods further on:
   Praat's search range, all rows in one batched FFT. Correlation ignores the cycles' amplitudes, so amplitude
   perturbation does not leak into the periods.
3. Marks: from an anchor on the waveform's largest extremum at the start of each stretch (where Praat's points
   sit, so amplitude windows see the same samples), each next mark is the previous one plus its lag. A stretch
   continues across calls through `MarkChain`.

The measured agreement with Praat is in tests/audio/test_dsp_perturbation.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

SMOOTH_PERIODS = 0.7
PEAK_HALF_WIDTH = 0.6  # in local periods
PEAK_NEIGHBOURS = 4  # smoothed-peak candidates compared on each side (the triangle leaves at most ~2 per period)
SEARCH_LOW, SEARCH_HIGH = 0.8, 1.25  # Praat's range for the next point, in local periods
# Praat drops a point whose window correlates at most 0.3 with the previous one (its period then spans two
# cycles and the period-factor rule drops it from jitter).
MIN_CORRELATION = 0.3


@dataclass
class MarkChain:
    """Where the marks of a stretch that is still going on stopped: the last coarse mark and its template
    centre, the last mark, and the phase shift of the stretch (absolute sample positions)."""

    coarse: float
    mark: float
    shift: float
    period: float


@dataclass
class MarkResult:
    marks: np.ndarray  # absolute positions, in time order
    chain: MarkChain | None


def _moving_average(x: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Centred moving average with a width per sample (scipy's uniform_filter1d centring; edges clipped)."""
    csum = np.empty(x.size + 1)
    csum[0] = 0.0
    np.cumsum(x, out=csum[1:])
    idx = np.arange(x.size)
    lo = np.clip(idx - width // 2, 0, x.size)
    hi = np.clip(lo + width, 0, x.size)
    return (csum[hi] - csum[lo]) / width


def coarse_marks(x: np.ndarray, period: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """Sub-sample positions (indices into `x`) of one smoothed peak per cycle, inside the `voiced` samples.

    `period` is the local period per sample (defined everywhere: fill unvoiced samples from their neighbours);
    `x` must extend about two periods beyond the voiced samples on both sides.
    """
    width = np.maximum(1, np.rint(SMOOTH_PERIODS * period).astype(np.int64))
    smooth = _moving_average(_moving_average(x, width), width)
    inner = smooth[1:-1]
    peak = (inner > smooth[:-2]) & (inner >= smooth[2:]) & (inner > 0)
    cand = np.flatnonzero(peak) + 1
    if cand.size == 0:
        return np.zeros(0)
    value = smooth[cand]
    half = np.maximum(1, np.rint(PEAK_HALF_WIDTH * period[cand]).astype(np.int64))
    keep = np.ones(cand.size, dtype=bool)
    # The largest within +-half: against the neighbouring candidates and the window's edges (a slope still
    # rising at the edge means a larger peak beyond it).
    for k in range(1, PEAK_NEIGHBOURS + 1):
        if k >= cand.size:
            break
        near_after = cand[k:] - cand[:-k] <= half[:-k]
        keep[:-k] &= ~(near_after & (value[k:] > value[:-k]))
        near_before = cand[k:] - cand[:-k] <= half[k:]
        keep[k:] &= ~(near_before & (value[:-k] >= value[k:]))
    keep &= smooth[np.clip(cand - half, 0, smooth.size - 1)] <= value
    keep &= smooth[np.clip(cand + half, 0, smooth.size - 1)] <= value
    keep &= voiced[cand]
    idx = cand[keep]
    idx = idx[(idx > 0) & (idx < smooth.size - 1)]
    left, mid, right = smooth[idx - 1], smooth[idx], smooth[idx + 1]
    denom = left - 2.0 * mid + right
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(denom < 0, 0.5 * (left - right) / denom, 0.0)
    return idx + np.clip(shift, -0.5, 0.5)


def extremum(x: np.ndarray, centre: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Index of the largest |x| within +-half of each centre (Praat's Sound_findExtremum, no interpolation)."""
    reach = int(half.max(initial=1))
    offsets = np.arange(-reach, reach + 1)
    idx = np.clip(np.rint(centre).astype(np.int64)[:, None] + offsets[None, :], 0, x.size - 1)
    values = np.abs(x[idx])
    values[np.abs(offsets)[None, :] > half[:, None]] = -1.0
    return idx[np.arange(idx.shape[0]), values.argmax(axis=1)]


def cycle_lags(x: np.ndarray, centre: np.ndarray, period: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each centre (index into `x`), the lag in [0.8, 1.25] periods to the best-correlated one-period
    window, refined by a parabola, and that correlation. All rows in one FFT; no wrap-around since the FFT is
    at least as long as the searched segment.
    """
    c = np.rint(centre).astype(np.int64)
    width = np.rint(period).astype(np.int64) + 1
    lag_lo = np.ceil(SEARCH_LOW * period).astype(np.int64)
    lag_hi = np.floor(SEARCH_HIGH * period).astype(np.int64)
    span = lag_hi - lag_lo + 1
    w_max, seg_len = int(width.max()), int((span + width).max())
    n = next_fast_len(seg_len, real=True)
    cols = np.arange(seg_len)
    t_start = c - width // 2
    template = x[np.clip(t_start[:, None] + cols[None, :w_max], 0, x.size - 1)]
    template[cols[None, :w_max] >= width[:, None]] = 0.0
    segment = x[np.clip((t_start + lag_lo)[:, None] + cols[None, :], 0, x.size - 1)]
    dot = irfft(np.conj(rfft(template, n)) * rfft(segment, n), n)[:, :seg_len]
    energy = np.zeros((segment.shape[0], seg_len + 1))
    np.cumsum(segment * segment, axis=1, out=energy[:, 1:])
    rows = np.arange(c.size)[:, None]
    shifts = cols[None, :]
    valid = shifts < span[:, None]
    ends = np.minimum(shifts + width[:, None], seg_len)
    norm2 = energy[rows, ends] - energy[:, :seg_len]
    norm1 = energy_of(template)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(valid & (norm2 > 0), dot / np.sqrt(norm1[:, None] * norm2), -1.0)
    best = score.argmax(axis=1)
    r = rows[:, 0]
    inner = (best > 0) & (best < span - 1)
    b = np.clip(best, 1, seg_len - 2)
    left, mid, right = score[r, b - 1], score[r, b], score[r, b + 1]
    denom = left - 2.0 * mid + right
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(inner & (denom < 0), 0.5 * (left - right) / denom, 0.0)
    step = np.clip(step, -0.5, 0.5)
    # As Praat's: the distance between the two window centres (the template's rounding cancels).
    return lag_lo + best + step, score[r, best]


def energy_of(rows: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", rows, rows)


def glottal_marks(x: np.ndarray, offset: int, slot_start: np.ndarray, slot_period: np.ndarray, hop: int,
                  chain: MarkChain | None) -> MarkResult:
    """Marks over voiced slots [slot_start, slot_start + hop) (absolute, ascending, on the hop grid).

    `x` holds the signal from absolute position `offset`, at least two periods beyond the first and last slots.
    `chain` continues the stretch of the previous call when the first slot follows it directly (the caller
    passes None otherwise); the result's chain describes the last stretch's end.
    """
    first, last = int(slot_start[0]), int(slot_start[-1]) + hop
    reach = hop + int(2 * slot_period.max()) + 2  # a chained mark lies up to one slot before the first
    lo, hi = max(first - reach, offset), min(last + reach, offset + x.size)
    grid = np.arange(first - -(-(first - lo) // hop) * hop, hi, hop)
    # Period per sample over [lo, hi): voiced slots carry their own, others the nearest voiced slot's.
    slot_of = np.searchsorted(slot_start, grid, side="right") - 1
    exact = (slot_of >= 0) & (slot_start[np.maximum(slot_of, 0)] == grid)
    period_grid = slot_period[np.clip(np.where(slot_of >= 0, slot_of, 0), 0, slot_period.size - 1)]
    per_sample = np.repeat(period_grid, hop)
    voiced_sample = np.repeat(exact, hop)
    begin = lo - int(grid[0])
    seg = x[lo - offset: hi - offset]
    period = per_sample[begin: begin + seg.size]
    voiced = voiced_sample[begin: begin + seg.size]
    coarse = coarse_marks(seg, period, voiced)  # indices into seg
    # Stretch of each coarse mark: slots that follow one another without a gap form one stretch.
    new_stretch = np.empty(slot_start.size, dtype=bool)
    new_stretch[0] = True
    new_stretch[1:] = np.diff(slot_start) != hop
    stretch_of_slot = np.cumsum(new_stretch)
    if coarse.size == 0:
        return MarkResult(np.zeros(0), None)
    slot_idx = np.searchsorted(slot_start, coarse + lo, side="right") - 1
    stretch = stretch_of_slot[slot_idx]
    p = period[np.rint(coarse).astype(np.int64)]
    continuing = chain is not None
    if continuing:
        # The last coarse mark of the previous call opens this call's first stretch (dropping any duplicate
        # of it found again here).
        dup = (stretch == 1) & (coarse + lo <= chain.coarse + 0.5 * chain.period)
        coarse, stretch, p = coarse[~dup], stretch[~dup], p[~dup]
        coarse = np.concatenate([[chain.coarse - lo], coarse])
        stretch = np.concatenate([[1], stretch])
        p = np.concatenate([[chain.period], p])
    opens = np.r_[True, stretch[1:] != stretch[:-1]]
    starts = np.flatnonzero(opens)
    stretch_index = np.cumsum(opens) - 1
    # Each stretch is anchored, as Praat's, on the waveform's largest extremum within half a period of its
    # middle cycle (its first cycles are often an onset transient whose largest peak is at another phase).
    middle = (starts + np.r_[starts[1:], coarse.size] - 1) // 2
    anchor = extremum(seg, coarse[middle], np.maximum(1, (0.5 * p[middle]).astype(np.int64))).astype(np.float64)
    shift = anchor - coarse[middle]
    if continuing:
        # A continued stretch keeps the phase it was anchored at, and its marks go on from the last one.
        middle[0], shift[0], anchor[0] = 0, chain.shift, chain.mark - lo
    centre = coarse + shift[stretch_index]
    pair = np.flatnonzero(stretch[1:] == stretch[:-1])
    lags = np.zeros(coarse.size)
    strong = np.ones(coarse.size, dtype=bool)
    if pair.size:
        lag, corr = cycle_lags(seg, centre[pair], p[pair])
        lags[pair + 1] = lag
        strong[pair + 1] = corr > MIN_CORRELATION
    # Marks: the running sum of each stretch's lags, through its anchor.
    lags[starts] = 0.0
    total = np.cumsum(lags)
    marks = (anchor - total[middle])[stretch_index] + total + lo
    keep = strong.copy()
    if continuing:
        keep[0] = False  # emitted by the previous call
    end = MarkChain(coarse=float(coarse[-1] + lo), mark=float(marks[-1]), shift=float(shift[-1]), period=float(p[-1]))
    return MarkResult(marks[keep], end)
