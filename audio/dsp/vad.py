"""Energy voice activity with an adaptive noise floor and hysteresis -> speech segments and pauses.

Fed one energy value (dBFS, a short window centred on each 8 ms block) per block, in order. Every time is a
sample position divided by the sample rate, so the result does not depend on how the audio was chunked or when
it arrived.

- Noise floor: the lowest energy over the last FLOOR_WINDOW_S (minimum statistics, kept as the 10th
  percentile of each ~0.25 s sub-window in a ring, so O(1) memory; a percentile, not the minimum, so one odd
  block such as the fade from leading zeros cannot pin the floor 30 dB low for seconds). It settles on the
  quiet stretches between words, follows a noise level that rises (a fan starting) within FLOOR_WINDOW_S, and
  forgets a stretch of digital silence (exact zeros at the start of a file) just as fast. A floor that only
  crept up at a fixed rate stayed at -98 dB for jfk.wav after its first zero samples and found no pause in
  11 s of speech.
- Hysteresis: speech starts above floor + ONSET_DB and ends below floor + OFFSET_DB, so a level hovering near
  one threshold does not chatter. A burst shorter than MIN_SPEECH_S (a click, a cough onset) never starts speech.
- A pause is a silence of at least MIN_PAUSE_S *between* two stretches of speech: silence before the first word
  and after the last one is not a pause (it is the candidate thinking before answering, or the end).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

ONSET_DB = 12.0
OFFSET_DB = 6.0
# Quieter than this is never speech, however low the floor (digital silence would make the floor -120 dB).
ABSOLUTE_MIN_DBFS = -55.0
FLOOR_WINDOW_S = 3.0
# Exact zeros (a muted start, padding) say nothing about the room's noise: they do not move the floor.
DIGITAL_SILENCE_DBFS = -90.0
# Noise louder than this is not a floor to measure speech against; the cap also lets a stream that opens with a
# long steady vowel (no quiet block yet) be heard as speech at once.
MAX_FLOOR_DBFS = -35.0
FLOOR_SUBWINDOW_BLOCKS = 32
MIN_SPEECH_S = 0.05
MIN_PAUSE_S = 0.3
LONG_PAUSE_S = 2.0


@dataclass
class EnergyVad:
    sample_rate: int
    block: int
    floor_db: float = MAX_FLOOR_DBFS
    _sub_values: list = field(default_factory=list)
    _sub_count: int = 0
    _minima: deque = field(default_factory=deque)
    active: bool = False  # hysteresis state: above threshold now (maybe not yet confirmed speech)
    candidate_start: int | None = None  # sample where the current above-threshold run began
    first_start: int | None = None  # first confirmed speech sample
    last_end: int | None = None  # end of the last confirmed run (None while one is open)
    in_speech: bool = False  # a confirmed run is open
    # End of the last block louder than the offset threshold, speech or not: hands-free end-pointing counts silence
    # from here, so a soft word onset that has not yet reached the onset threshold already stops the countdown.
    last_sound: int | None = None
    pause_total: int = 0
    pause_count: int = 0
    longest_pause: int = 0
    long_pause_count: int = 0
    over_1s_count: int = 0
    pauses: list[tuple[int, int]] = field(default_factory=list)
    max_pauses_kept: int = 2000  # bound on the stored list; counts and totals stay exact beyond it
    _steady_position: int = 0

    def push(self, energy_db: float, position: int) -> bool:
        """One block starting at sample `position`; returns whether it is (confirmed or provisional) speech."""
        return self._steps([energy_db], position)[0]

    def push_many(self, levels: list[float], position: int) -> list[bool]:
        """Consecutive blocks from sample `position` on, in plain Python (16 levels per analyzer block cost less
        this way than as NumPy calls). Runs that cannot change anything (steady speech or steady silence before
        the next floor update) take a shortcut with the same result as the step-by-step rules."""
        out: list[bool] = []
        done = 0
        if self._minima:
            steady = min(len(levels), FLOOR_SUBWINDOW_BLOCKS - self._sub_count - 1)
            self._steady_position = position
            if steady > 0 and self._steady(levels[:steady]):
                out = [self.active] * steady
                done = steady
        return out + self._steps(levels[done:], position + done * self.block)

    def _steps(self, levels: list[float], position: int) -> list[bool]:
        """The rules, one block at a time."""
        out = []
        block = self.block
        min_speech = MIN_SPEECH_S * self.sample_rate
        onset, offset = self._thresholds()
        for level in levels:
            if level > DIGITAL_SILENCE_DBFS:
                self._sub_values.append(level)
            self._sub_count += 1
            if self._sub_count == FLOOR_SUBWINDOW_BLOCKS or not self._minima:
                self._update_floor()
                onset, offset = self._thresholds()
            if level >= offset:
                self.last_sound = position + block
            if not self.active:
                if level > onset:
                    self.active = True
                    self.candidate_start = position
            elif level < offset:
                self.active = False
                if self.in_speech:
                    self.in_speech = False
                    self.last_end = position
                self.candidate_start = None
            if (self.active and not self.in_speech and self.candidate_start is not None
                    and position + block - self.candidate_start >= min_speech):
                self._confirm(self.candidate_start)
            out.append(self.active)
            position += block
        return out

    def _steady(self, levels: list[float]) -> bool:
        """Take these levels in one step if none of them can move the state (the floor is fixed meanwhile)."""
        onset, offset = self._thresholds()
        if not ((self.active and self.in_speech and min(levels) >= offset)
                or (not self.active and max(levels) <= onset)):
            return False
        if self.active or max(levels) >= offset:
            # The end of the last block at or above the offset threshold (the rule of `_steps`).
            last = max(i for i, v in enumerate(levels) if v >= offset)
            self.last_sound = self._steady_position + (last + 1) * self.block
        self._sub_values.extend(v for v in levels if v > DIGITAL_SILENCE_DBFS)
        self._sub_count += len(levels)
        return True

    def _thresholds(self) -> tuple[float, float]:
        return (max(self.floor_db + ONSET_DB, ABSOLUTE_MIN_DBFS),
                max(self.floor_db + OFFSET_DB, ABSOLUTE_MIN_DBFS - (ONSET_DB - OFFSET_DB)))

    def _update_floor(self) -> None:
        if self._sub_count == FLOOR_SUBWINDOW_BLOCKS:
            if self._sub_values:
                self._minima.append(_low(self._sub_values))
            keep = max(1, int(FLOOR_WINDOW_S * self.sample_rate / (self.block * FLOOR_SUBWINDOW_BLOCKS)))
            while len(self._minima) > keep:
                self._minima.popleft()
            self._sub_values, self._sub_count = [], 0
            self.floor_db = min(min(self._minima, default=math.inf), MAX_FLOOR_DBFS)
        elif not self._minima and self._sub_values:
            # The first ~0.25 s: no finished sub-window yet, so the low end of what came so far.
            self.floor_db = min(_low(self._sub_values), MAX_FLOOR_DBFS)

    def _confirm(self, start: int) -> None:
        self.in_speech = True
        if self.first_start is None:
            self.first_start = start
        elif self.last_end is not None:
            gap = start - self.last_end
            if gap >= MIN_PAUSE_S * self.sample_rate:
                self.pause_count += 1
                self.pause_total += gap
                self.longest_pause = max(self.longest_pause, gap)
                if gap >= LONG_PAUSE_S * self.sample_rate:
                    self.long_pause_count += 1
                if gap > 1.0 * self.sample_rate:
                    self.over_1s_count += 1
                if len(self.pauses) < self.max_pauses_kept:
                    self.pauses.append((self.last_end, start))
        self.last_end = None

    def in_pause(self, position: int) -> bool:
        """Silent after speech for at least MIN_PAUSE_S up to `position` (a pause in progress, not yet closed)."""
        return (not self.in_speech and self.last_end is not None
                and position - self.last_end >= MIN_PAUSE_S * self.sample_rate)

    def speaking_samples(self, position: int) -> int:
        """From the first word to the last (or to `position` while speaking), minus the pauses between."""
        if self.first_start is None:
            return 0
        end = position if self.in_speech else (self.last_end if self.last_end is not None else position)
        return max(0, end - self.first_start - self.pause_total)


def _low(values: list[float]) -> float:
    """10th percentile of a sub-window's block energies (no numpy: at most 32 values)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 10]


def speech_segments(samples: np.ndarray, *, sample_rate: int = 16000,
                    block: int = 128) -> list[tuple[float, float]]:
    """The stretches this VAD calls speech in a whole signal, as (start, end) seconds, in order.

    Same blocks (8 ms), same rules and so the same pauses as the streaming analyzer's: a word moved or dropped
    because of these segments matches the pauses stored with the answer. Silence before the first and after the
    last stretch is outside every segment.
    """
    x = np.asarray(samples, dtype=np.float64)
    n = x.size - x.size % block
    if n == 0:
        return []
    power = np.einsum("ij,ij->i", x[:n].reshape(-1, block), x[:n].reshape(-1, block)) / block
    levels = (10.0 * np.log10(np.maximum(power, 1e-12))).tolist()
    vad = EnergyVad(sample_rate=sample_rate, block=block)
    vad.push_many(levels, 0)
    if vad.first_start is None:
        return []
    end = n if vad.in_speech or vad.last_end is None else vad.last_end
    bounds = [vad.first_start, *(p for pause in vad.pauses for p in pause), end]
    return [(bounds[i] / sample_rate, bounds[i + 1] / sample_rate) for i in range(0, len(bounds), 2)]
