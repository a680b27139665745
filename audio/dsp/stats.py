"""Running statistics in O(1) memory: Welford moments (mergeable, Chan et al.) and a fixed-bin pitch histogram.

Welford's update avoids the catastrophic cancellation of sum/sum-of-squares when values sit on a large offset
(e.g. 1e9 + small noise); `merge` combines two partial results exactly as if one had seen both streams.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class RunningStats:
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def push(self, value: float) -> None:
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (value - self.mean)
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)

    def push_many(self, values: np.ndarray | list[float]) -> None:
        """Add a batch: its own two-pass moments, then a Chan merge (stable and vectorised)."""
        if isinstance(values, list):
            # A handful of values per call on the live path: plain Python beats the fixed cost of NumPy calls.
            if not values:
                return
            mean = math.fsum(values) / len(values)
            batch = RunningStats(count=len(values), mean=mean, m2=math.fsum((v - mean) ** 2 for v in values),
                                 minimum=min(values), maximum=max(values))
            self.merge(batch)
            return
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return
        mean = float(values.mean())
        batch = RunningStats(count=int(values.size), mean=mean, m2=float(np.sum((values - mean) ** 2)),
                             minimum=float(values.min()), maximum=float(values.max()))
        self.merge(batch)

    def merge(self, other: RunningStats) -> RunningStats:
        """Chan et al. (1979) parallel combination; updates self in place and returns it."""
        if other.count == 0:
            return self
        if self.count == 0:
            self.count, self.mean, self.m2 = other.count, other.mean, other.m2
            self.minimum, self.maximum = other.minimum, other.maximum
            return self
        total = self.count + other.count
        delta = other.mean - self.mean
        self.mean += delta * other.count / total
        self.m2 += other.m2 + delta * delta * self.count * other.count / total
        self.count = total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        return self

    @property
    def variance(self) -> float | None:
        """Population variance (ddof=0), None before any value."""
        return self.m2 / self.count if self.count else None

    @property
    def sample_variance(self) -> float | None:
        return self.m2 / (self.count - 1) if self.count > 1 else None

    @property
    def std(self) -> float | None:
        variance = self.variance
        return math.sqrt(max(variance, 0.0)) if variance is not None else None


class PitchHistogram:
    """Voiced F0 values binned at 5 cents from 50 Hz to 1000 Hz: median and percentiles in bounded memory.

    5-cent bins bound the quantisation error at 2.5 cents, well inside the 50-cent agreement asked of the median.
    """

    LOW_HZ = 50.0
    CENTS_PER_BIN = 5.0
    BINS = int(1200 * math.log2(1000.0 / 50.0) / 5.0) + 1
    _LOW_ST = 12.0 * math.log2(LOW_HZ / 100.0)

    def __init__(self) -> None:
        self.counts = np.zeros(self.BINS, dtype=np.int64)

    def add(self, f0_hz: np.ndarray) -> None:
        f0_hz = np.asarray(f0_hz, dtype=np.float64)
        if f0_hz.size == 0:
            return
        self.add_semitones(hz_to_semitones(f0_hz))

    def add_semitones(self, semitones: np.ndarray | list[float]) -> None:
        """The same from semitones re 100 Hz (`hz_to_semitones`), which the analyzer has computed anyway."""
        values = semitones.tolist() if isinstance(semitones, np.ndarray) else semitones
        counts, low, per_bin, top = self.counts, self._LOW_ST, 100.0 / self.CENTS_PER_BIN, self.BINS - 1
        for st in values:
            counts[min(max(int((st - low) * per_bin), 0), top)] += 1

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def quantile_hz(self, q: float) -> float | None:
        total = self.total
        if total == 0:
            return None
        cumulative = np.cumsum(self.counts)
        target = q * total
        i = int(np.searchsorted(cumulative, target, side="left"))
        i = min(i, self.BINS - 1)
        below = cumulative[i - 1] if i else 0
        inside = self.counts[i]
        fraction = (target - below) / inside if inside else 0.5
        cents = (i + min(max(fraction, 0.0), 1.0)) * self.CENTS_PER_BIN
        return float(self.LOW_HZ * 2.0 ** (cents / 1200.0))


def hz_to_semitones(f0_hz: np.ndarray | float) -> np.ndarray | float:
    """Semitones relative to 100 Hz; spreads and ranges are differences, so the reference cancels."""
    return 12.0 * np.log2(np.asarray(f0_hz, dtype=np.float64) / 100.0)
