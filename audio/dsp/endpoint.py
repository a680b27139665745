"""Hands-free end-pointing: decide that an answer is over from the voice activity the analyzer already computes.

An answer ends after `silence_s` of silence that follows speech. The silence is measured on the audio's own
sample grid (the VAD's last speech end to the analyzer's processed position), never on arrival times, so the same
audio ends at the same sample however it was chunked or delayed by the network.

- Armed only after MIN_SPEECH_S of speech: the silence before the first word (the candidate thinking about the
  question) and a lone click or cough never end an answer.
- A countdown is announced before the end (`ending`, with the seconds left) so the page can show it; speech that
  resumes before the end cancels it (`cancelled`) and the silence is measured afresh from the next word's end. A
  thinking pause shorter than `silence_s` therefore never ends an answer.
- The setting is bounded (SILENCE_RANGE_S): under 1 s people are cut off between sentences, over 2.5 s the wait
  after the last word feels like the interviewer stopped listening.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio.dsp.vad import EnergyVad

SILENCE_RANGE_S = (1.0, 2.5)
MIN_SPEECH_S = 0.5
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
    silence_s: float  # silence so far, from the last speech end to the processed position
    seconds_left: float  # until the end; 0 for "end"


class EndPointer:
    def __init__(self, *, silence_s: float, sample_rate: int = 16000) -> None:
        self.silence_s = validate_silence_s(silence_s)
        self.sample_rate = sample_rate
        self.countdown_s = min(COUNTDOWN_MAX_S, self.silence_s / 2)
        self.counting = False
        self.ended = False

    def update(self, vad: EnergyVad, position: int) -> EndpointEvent | None:
        """Call after each analysed stretch with the VAD and the analyzer's processed position (samples)."""
        if self.ended:
            return None
        if vad.in_speech or vad.last_end is None:
            if self.counting and vad.in_speech:
                self.counting = False
                return EndpointEvent("cancelled", 0.0, self.silence_s)
            return None
        if vad.speaking_samples(position) < MIN_SPEECH_S * self.sample_rate:
            return None
        silence = max(0, position - vad.last_end) / self.sample_rate
        if silence >= self.silence_s:
            self.ended = True
            self.counting = False
            return EndpointEvent("end", round(silence, 3), 0.0)
        if not self.counting and silence >= self.silence_s - self.countdown_s:
            self.counting = True
            return EndpointEvent("ending", round(silence, 3), round(self.silence_s - silence, 3))
        return None
