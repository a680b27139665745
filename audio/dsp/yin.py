"""Vectorised YIN (de Cheveigné & Kawahara 2002) over a batch of frames.

Each row of `frames` holds `window + max_lag` samples: the integration window followed by the lag extension, so
the difference function d(tau) = sum_{j<W} (x_j - x_{j+tau})^2 is exact (no circular wrap) for every lag:
d(tau) = E[0:W] + E[tau:tau+W] - 2 * sum_j x_j x_{j+tau}, with the energies from a cumulative sum of squares and
the cross term from one FFT product per row. All rows go through the FFT in one call.

Threshold: 0.1 in the paper. An impulsive pulse train whose period is not a whole number of samples (350 Hz at
16 kHz = 45.7 samples) leaves d'(T) above 0.1 while d'(3T) dips below it, so 0.1 reads it as 117 Hz (see
STACK_NOTES). 0.2 accepts the true first dip; octave-up errors stay away because a dip at T/2 in a periodic
signal rarely goes below 0.2, and tests/audio/test_dsp_yin.py checks 80-480 Hz tones, pulse trains and vowels
for octave errors at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def cmnd(frames: np.ndarray, config: YinConfig) -> tuple[np.ndarray, np.ndarray]:
    """Difference function d and its cumulative mean normalised form d' for lags 0..max_lag+1."""
    w, lags = config.window, config.max_lag + 2
    n = frames.shape[1]
    spec_all = np.fft.rfft(frames, n)
    spec_head = np.fft.rfft(frames[:, :w], n)
    cross = np.fft.irfft(np.conj(spec_head) * spec_all, n)[:, :lags]
    squares = np.concatenate([np.zeros((frames.shape[0], 1)), np.cumsum(frames * frames, axis=1)], axis=1)
    energy_head = squares[:, w:w + 1]
    energy_lag = squares[:, w:w + lags] - squares[:, :lags]
    diff = np.maximum(energy_head + energy_lag - 2.0 * cross, 0.0)
    diff[:, 0] = 0.0
    running = np.cumsum(diff[:, 1:], axis=1)
    tau = np.arange(1, lags)
    normalised = np.ones_like(diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised[:, 1:] = np.where(running > 0, diff[:, 1:] * tau / running, 1.0)
    return diff, normalised


def yin(frames: np.ndarray, config: YinConfig) -> tuple[np.ndarray, np.ndarray]:
    """F0 in Hz and aperiodicity d'(T) in [0, 1] per row; periodicity confidence is 1 - aperiodicity.

    A row with no dip below the threshold gets its global minimum in range (low confidence, callers decide).
    """
    frames = np.atleast_2d(np.asarray(frames, dtype=np.float64))
    count = frames.shape[0]
    if frames.shape[1] < config.frame_length:
        raise ValueError(f"frames need {config.frame_length} samples, got {frames.shape[1]}")
    diff, norm = cmnd(frames, config)
    lo, hi = config.min_lag, config.max_lag
    search = norm[:, lo:hi + 1]
    below = search < config.threshold
    has_dip = below.any(axis=1)
    first = np.where(has_dip, below.argmax(axis=1), search.argmin(axis=1))
    # Walk from the first sub-threshold lag to the bottom of that dip: the first lag after it where d' rises.
    rising = np.empty_like(below)
    rising[:, :-1] = search[:, 1:] > search[:, :-1]
    rising[:, -1] = True
    cols = np.arange(search.shape[1])
    after = rising & (cols[None, :] >= first[:, None])
    best = np.where(has_dip, after.argmax(axis=1), first) + lo
    rows = np.arange(count)
    # Parabolic interpolation on d' (the quantity the choice was made on) refines the lag below one sample.
    left, mid, right = norm[rows, best - 1], norm[rows, best], norm[rows, best + 1]
    denom = left - 2.0 * mid + right
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / denom, 0.0)
    shift = np.clip(shift, -0.5, 0.5)
    period = best + shift
    aperiodicity = np.clip(mid, 0.0, 1.0)
    return config.sample_rate / period, aperiodicity
