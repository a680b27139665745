"""Vectorised YIN (de Cheveigné & Kawahara 2002) over a batch of frames.

Each row of `frames` holds `window + max_lag` samples: the integration window followed by the lag extension, so
the difference function d(tau) = sum_{j<W} (x_j - x_{j+tau})^2 is exact (no circular wrap) for every lag:
d(tau) = E[0:W] + E[tau:tau+W] - 2 * sum_j x_j x_{j+tau}, with the energies from a cumulative sum of squares and
the cross term from one FFT product per row. All rows go through the FFT in one call.

Threshold: 0.1 in the paper. An impulsive pulse train whose period is not a whole number of samples (350 Hz at
16 kHz = 45.7 samples) leaves d'(T) above 0.1 while d'(3T) dips below it, so 0.1 reads it as 117 Hz (see
docs/stack-notes.md). 0.2 accepts the true first dip; octave-up errors stay away because a dip at T/2 in a periodic
signal rarely goes below 0.2, and tests/audio/test_dsp_yin.py checks 80-480 Hz tones, pulse trains and vowels
for octave errors at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

DEFAULT_THRESHOLD = 0.2


@dataclass(frozen=True)
class YinConfig:
    sample_rate: int = 16000
    fmin: float = 75.0
    fmax: float = 500.0
    window: int = 512
    threshold: float = DEFAULT_THRESHOLD

    @property
    def min_lag(self) -> int:
        return max(2, int(self.sample_rate / self.fmax))

    @property
    def max_lag(self) -> int:
        return int(np.ceil(self.sample_rate / self.fmin)) + 1

    @property
    def lag_extension(self) -> int:
        """Samples after the window a frame must carry: the largest lag plus one for the parabola."""
        return self.max_lag + 2

    @property
    def frame_length(self) -> int:
        return self.window + self.lag_extension


class _Plan:
    """Everything about a config that does not depend on the audio, computed once."""

    def __init__(self, config: YinConfig) -> None:
        self.window = config.window
        self.lags = config.max_lag + 2
        self.frame_length = config.frame_length
        # Any n >= the frame length avoids circular wrap; 729 (3^6) is slow in pocketfft, 768 = 3 * 2^8 is not.
        self.n = next_fast_len(config.frame_length, real=True)
        self.tau = np.arange(1, self.lags, dtype=np.float64)  # lags of d[1:]
        self.lo, self.hi = config.min_lag, config.max_lag
        self.threshold = config.threshold
        self.sample_rate = config.sample_rate


@lru_cache(maxsize=8)
def _plan(config: YinConfig) -> _Plan:
    return _Plan(config)


def _frames_view(x: np.ndarray, start: int, count: int, hop: int, length: int) -> np.ndarray:
    """Rows x[start + k*hop : start + k*hop + length] for k < count, as a view (no copy)."""
    if start < 0 or start + (count - 1) * hop + length > x.size or not x.flags.c_contiguous:
        raise ValueError("frames reach outside the signal")
    step = x.strides[0]
    return np.ndarray((count, length), dtype=x.dtype, buffer=x, offset=start * step, strides=(hop * step, step))


class YinTracker:
    """Batched YIN with its own scratch arrays: one per stream (they are not shared between threads).

    On the live path a block's 8 frames cost a few dozen NumPy calls and two FFT calls, and on this 2-core
    machine each call's fixed cost is most of the time, so calls are kept few: the frames and their heads go
    through one real FFT as rows of one zero-padded float32 array, the heads pre-scaled by -2 so the inverse
    gives -2 x cross directly; the energies of overlapping frames come from one running sum of squares; the dip
    search is a single mask. (Splitting the windows into shared hop-long pieces, 9 x 480-point FFTs instead of
    8 x 768, measured slower: the extra copies and adds cost more than the smaller transforms save.)
    """

    def __init__(self, config: YinConfig, max_frames: int = 8) -> None:
        self.config = config
        self.plan = _plan(config)
        self.max_frames = max_frames
        # Rows [0, max) hold frames, rows [max, 2 max) their first W samples; the zero tails are never written.
        self._stack = np.zeros((2 * max_frames, self.plan.n), dtype=np.float32)
        self._rows = np.arange(max_frames)

    def hops(self, x: np.ndarray, start: int, count: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
        """F0 and aperiodicity of the frames x[start + k*hop:][:frame_length], k < count <= max_frames."""
        plan = self.plan
        span = x[start: start + (count - 1) * hop + plan.frame_length]
        squares = np.empty(span.size + 1)
        squares[0] = 0.0
        np.cumsum(span * span, out=squares[1:])
        windowed = squares[plan.window:] - squares[:-plan.window]  # energy of x[m:m+W] for every m
        energy = _frames_view(windowed, 0, count, hop, plan.lags)
        frames = _frames_view(span, 0, count, hop, plan.frame_length)
        return self._decide(self._cross(frames), energy, count)

    def frames(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The same for arbitrary rows of at least frame_length samples (any count)."""
        plan = self.plan
        frames = frames[:, :plan.frame_length]
        squares = np.zeros((frames.shape[0], plan.frame_length + 1))
        np.cumsum(frames * frames, axis=1, out=squares[:, 1:])
        energy = squares[:, plan.window:plan.window + plan.lags] - squares[:, :plan.lags]
        f0, aperiodicity = [], []
        for i in range(0, frames.shape[0], self.max_frames):
            part = frames[i:i + self.max_frames]
            result = self._decide(self._cross(part), energy[i:i + self.max_frames], part.shape[0])
            f0.append(result[0])
            aperiodicity.append(result[1])
        return np.concatenate(f0), np.concatenate(aperiodicity)

    def _cross(self, frames: np.ndarray) -> np.ndarray:
        """-2 x cross(tau) per frame, tau < lags (whole windows)."""
        plan, count, m = self.plan, frames.shape[0], self.max_frames
        stack = self._stack
        np.copyto(stack[:count, :plan.frame_length], frames, casting="same_kind")
        np.multiply(frames[:, :plan.window], -2.0, out=stack[m:m + count, :plan.window], casting="same_kind")
        spec = rfft(stack)
        head = spec[m:m + count]
        np.conjugate(head, out=head)
        head *= spec[:count]
        return irfft(head, plan.n)[:, :plan.lags]

    def _decide(self, minus_2_cross: np.ndarray, energy: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """`energy[k, tau]` = energy of frame k's samples [tau, tau + W) for tau < lags."""
        plan = self.plan
        # The cross term is float32 (half the FFT cost; its rounding, ~1e-7 of the frame energy, is far below
        # the dips YIN looks for); energies and d' are float64.
        # d(tau) = E[0:W] + E[tau:tau+W] - 2 * cross(tau), for tau >= 1; a floor keeps d' finite on silence.
        diff = energy[:, 1:] + minus_2_cross[:, 1:plan.lags]
        diff += energy[:, :1]
        np.maximum(diff, 1e-20, out=diff)
        norm = diff * plan.tau
        norm /= np.cumsum(diff, axis=1)
        return _pick(norm, plan, self._rows[:count])


def cmnd(frames: np.ndarray, config: YinConfig) -> tuple[np.ndarray, np.ndarray]:
    """Difference function d and its cumulative mean normalised form d' for lags 0..max_lag+1 (reference form,
    for inspection and tests; the tracker computes the same d' in fewer steps)."""
    plan = _plan(config)
    frames = np.atleast_2d(np.asarray(frames, dtype=np.float64))[:, :plan.frame_length]
    w, lags = plan.window, plan.lags
    squares = np.zeros((frames.shape[0], frames.shape[1] + 1))
    np.cumsum(frames * frames, axis=1, out=squares[:, 1:])
    energy = squares[:, w:w + lags] - squares[:, :lags]
    cross = np.fft.irfft(np.fft.rfft(frames, plan.n) * np.conj(np.fft.rfft(frames[:, :w], plan.n)), plan.n)
    diff = np.maximum(energy + energy[:, :1] - 2.0 * cross[:, :lags], 0.0)
    diff[:, 0] = 0.0
    running = np.cumsum(diff[:, 1:], axis=1)
    normalised = np.ones_like(diff)
    np.divide(diff[:, 1:] * plan.tau, running, out=normalised[:, 1:], where=running > 0)
    return diff, normalised


def yin(frames: np.ndarray, config: YinConfig) -> tuple[np.ndarray, np.ndarray]:
    """F0 in Hz and aperiodicity d'(T) in [0, 1] per row; periodicity confidence is 1 - aperiodicity.

    A row with no dip below the threshold gets its global minimum in range (low confidence, callers decide).
    """
    frames = np.atleast_2d(np.asarray(frames, dtype=np.float64))
    if frames.shape[1] < config.frame_length:
        raise ValueError(f"frames need {config.frame_length} samples, got {frames.shape[1]}")
    return YinTracker(config).frames(frames)


def _pick(norm: np.ndarray, plan: _Plan, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The YIN decision per row on d' (`norm[:, j]` is d'(j + 1)): the first dip below the threshold walked to
    its bottom, else the global minimum in range; refined by a parabola."""
    search = norm[:, plan.lo - 1:plan.hi]  # lags lo..hi
    # The bottom of the first dip is the first lag that is below the threshold with d' rising after it: from
    # the first sub-threshold lag d' falls (staying below) until it first rises.
    found = np.empty(search.shape, dtype=bool)
    np.greater(search[:, 1:], search[:, :-1], out=found[:, :-1])
    found[:, -1] = True
    found &= search < plan.threshold
    best = found.argmax(axis=1)
    best = np.where(found[rows, best], best, search.argmin(axis=1))
    # Parabolic interpolation on d' (the quantity the choice was made on) refines the lag below one sample.
    around = norm[rows[:, None], best[:, None] + (plan.lo - 1 + _AROUND)]  # d' at lags best-1, best, best+1
    numerator, curvature = around @ _HALF_SLOPE, around @ _CURVATURE
    shift = np.zeros(rows.size)
    np.divide(numerator, curvature, out=shift, where=curvature > 1e-12)
    np.clip(shift, -0.5, 0.5, out=shift)
    return plan.sample_rate / (best + (plan.lo + shift)), np.clip(around[:, 1], 0.0, 1.0)


_AROUND = np.array([-1, 0, 1])
_HALF_SLOPE = np.array([0.5, 0.0, -0.5])
_CURVATURE = np.array([1.0, -2.0, 1.0])
