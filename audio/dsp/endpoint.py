"""Hands-free end-pointing: decide that an answer is over from the voice activity the analyzer already computes.

An answer ends after `silence_s` of silence that follows speech. The silence runs from the later of the VAD's last
speech end and its last sound above the offset threshold (a soft word onset, not yet loud enough to start speech,
already counts as the candidate going on) to the analyzer's processed position, less SPEECH_TAIL_S. It is measured
on the audio's own sample grid, never on arrival times, so the same audio ends at the same sample however it was
chunked or delayed by the network.

- Armed only after MIN_SPEECH_S of speech: the silence before the first word (the candidate thinking about the
  question) and a lone click or cough never end an answer.
- A countdown is announced before the end (`ending`, with the seconds left) so the page can show it; speech (or a
  sound) before the end cancels it (`cancelled`) and the silence is measured afresh from the next word's end. A
  thinking pause shorter than `silence_s` therefore never ends an answer.
- The setting is bounded (SILENCE_RANGE_S): under 1 s people are cut off between sentences, over 2.5 s the wait
  after the last word feels like the interviewer stopped listening.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio.dsp.vad import EnergyVad

SILENCE_RANGE_S = (1.0, 2.5)
MIN_SPEECH_S = 0.5
# An allowance for the quiet tail of a word the VAD already hears as silence. Chosen on bench/endpoint_bench.py's
# tuning half only: the smallest allowance with no false end there (0 s, once a soft sound counts as going on;
# counting from the speech end alone needed 0.1 s), plus a 0.05 s margin.
SPEECH_TAIL_S = 0.05
# The countdown is shown for the second half of the silence (at most 1.2 s): long enough to notice and speak,
# late enough that an ordinary pause between sentences (~0.3-0.7 s) does not flash it with the default 1.8 s.
COUNTDOWN_MAX_S = 1.2


def validate_silence_s(value: object) -> float:
    """The end-of-answer silence in seconds, or ValueError saying what is accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"The hands-free silence must be a number of seconds, not {value!r}.")
    low, high = SILENCE_RANGE_S
    if not low <= float(value) <= high:
        raise ValueError(f"The hands-free silence must be between {low:g} and {high:g} seconds, not {value:g}.")
    return float(value)


@dataclass(frozen=True)
class EndpointEvent:
    kind: str  # "ending" (countdown started) | "cancelled" (speech resumed) | "end"
    silence_s: float  # silence so far: from the last speech end (plus SPEECH_TAIL_S) to the processed position
    seconds_left: float  # until the end; 0 for "end"


class EndPointer:
    def __init__(self, *, silence_s: float, sample_rate: int = 16000, tail_s: float = SPEECH_TAIL_S) -> None:
        self.silence_s = validate_silence_s(silence_s)
        self.sample_rate = sample_rate
        self.tail_s = tail_s
        self.countdown_s = min(COUNTDOWN_MAX_S, self.silence_s / 2)
        self.counting = False
        self.ended = False

    def update(self, vad: EnergyVad, position: int) -> EndpointEvent | None:
        """Call after each analysed stretch with the VAD and the analyzer's processed position (samples)."""
        if self.ended:
            return None
        if vad.in_speech or vad.last_end is None:
            silence = 0.0
        elif vad.speaking_samples(position) < MIN_SPEECH_S * self.sample_rate:
            return None  # not armed yet
        else:
            quiet_from = max(vad.last_end, vad.last_sound or 0)
            silence = max(0, position - quiet_from) / self.sample_rate - self.tail_s
        countdown_from = self.silence_s - self.countdown_s
        if silence >= self.silence_s:
            self.ended = True
            self.counting = False
            return EndpointEvent("end", round(silence, 3), 0.0)
        if self.counting and silence < countdown_from:
            self.counting = False  # speech, or a sound that may be its soft start, before the end
            return EndpointEvent("cancelled", round(max(silence, 0.0), 3), self.silence_s)
        if not self.counting and silence >= countdown_from:
            self.counting = True
            return EndpointEvent("ending", round(silence, 3), round(self.silence_s - silence, 3))
        return None
