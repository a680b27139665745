"""The delivery measurements of one answer, read from `Answer.signal` and `Answer.delivery`, their target bands,
the honesty gates (silence, clipping, transcript confidence) and the measurement-based sub-scores.

One place for the numbers the coach, the answer page, the charts, the report and mastery all use, so they never
disagree. It sits in `pipeline/`, below every app, because `rag` (the coach), `mastery` and `sessions` all read it.
Each measurement has exactly one key: the name its writer uses (`audio.dsp.analyzer` for `Answer.signal`,
`audio.transcription.speech_metrics` for `Answer.delivery`). A reader never falls back to an alias, so a renamed
key fails the tests that read it instead of being half-supported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Thresholds of the honesty gates.
LOW_CONFIDENCE = 0.6          # transcript confidence below this: word-based judgements are withheld
MOSTLY_SILENCE = 0.85         # silence fraction at or above this: the answer was mostly silence
MIN_SPEAKING_S = 1.5          # less speech than this cannot be judged for delivery
CLIPPING_SOME = 0.02          # clipped samples: pitch and loudness judgements are unreliable
CLIPPING_MOSTLY = 0.20        # the recording is mostly clipping: no delivery judgement at all
LONG_PAUSE_S = 2.0            # a pause this long counts as long (the band, the coach, the transcript's marks)
# Praat's conventional upper limits for a healthy voice (Teixeira et al. 2013): supporting evidence only, since
# these perturbation measures vary with microphone, room and voice, and never drive a score.
JITTER_TYPICAL_MAX = 0.0104
SHIMMER_TYPICAL_MAX = 0.0381


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    low: float | None
    high: float | None
    unit: str
    hint: str

    @property
    def text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:g}–{self.high:g} {self.unit}".strip()
        if self.high is not None:
            return f"≤ {self.high:g} {self.unit}".strip()
        return f"≥ {self.low:g} {self.unit}".strip()

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


BANDS: dict[str, Band] = {b.key: b for b in (
    Band("wpm", "Pace", 120, 160, "wpm", "conversational pace for an interview"),
    Band("fillers_per_min", "Filler words", None, 3, "per min", "um, uh, like, you know ..."),
    Band("long_pauses_per_min", "Long pauses (≥ 2 s)", None, 1, "per min", "thinking pauses are fine, a few"),
    Band("pitch_std_st", "Pitch variation", 2, 8, "st", "below 2 semitones sounds monotone"),
    Band("loudness_std_db", "Loudness variation", 3, 12, "dB", "emphasis without shouting"),
)}


def _num(mapping: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return float(value)
    return None


def _word_of(item: Any) -> str:
    # Filler and hedge items as `speech_metrics` writes them: {"kind", "text", "start", "end"}.
    if isinstance(item, Mapping) and isinstance(item.get("text"), str):
        return item["text"]
    return ""


def _time_of(item: Any) -> float | None:
    return _num(item, "start") if isinstance(item, Mapping) else None


@dataclass(frozen=True)
class Measures:
    voice: bool
    duration_s: float | None = None
    speaking_time_s: float | None = None
    word_count: int = 0
    wpm: float | None = None                # first word to last, pauses between included (the band's figure)
    pace_span_s: float | None = None        # the span `wpm` is over
    articulation_wpm: float | None = None   # words over speaking time without pauses: its own figure and label
    filler_count: int = 0
    fillers_per_min: float | None = None
    fillers: tuple[tuple[str, float | None], ...] = ()
    hedges: tuple[tuple[str, float | None], ...] = ()
    pause_count: int | None = None
    long_pause_count: int | None = None
    longest_pause_s: float | None = None
    pause_total_s: float | None = None
    pauses: tuple[Mapping[str, Any], ...] = ()
    pitch_median_hz: float | None = None
    pitch_std_st: float | None = None
    pitch_range_st: float | None = None
    monotone: bool | None = None
    loudness_mean_dbfs: float | None = None
    loudness_std_db: float | None = None
    jitter_local: float | None = None
    shimmer_local: float | None = None
    clipping_fraction: float | None = None
    silence_fraction: float | None = None
    voiced_fraction: float | None = None
    transcript_confidence: float | None = None
    filler_counts: tuple[tuple[str, int], ...] = field(default=())

    @property
    def minutes(self) -> float | None:
        return self.duration_s / 60 if self.duration_s else None

    @property
    def long_pauses_per_min(self) -> float | None:
        if self.long_pause_count is None or not self.minutes:
            return None
        return self.long_pause_count / self.minutes

    @property
    def mostly_silent(self) -> bool:
        if not self.voice:
            return False
        if self.silence_fraction is not None and self.silence_fraction >= MOSTLY_SILENCE:
            return True
        return (self.speaking_time_s is not None and self.speaking_time_s < MIN_SPEAKING_S) or (
            self.word_count == 0 and (self.duration_s or 0) > 0)

    @property
    def mostly_clipped(self) -> bool:
        return self.voice and (self.clipping_fraction or 0) >= CLIPPING_MOSTLY

    @property
    def some_clipping(self) -> bool:
        return self.voice and (self.clipping_fraction or 0) >= CLIPPING_SOME

    @property
    def low_confidence(self) -> bool:
        return self.transcript_confidence is not None and self.transcript_confidence < LOW_CONFIDENCE

    def value(self, key: str) -> float | None:
        """The measure a band is about."""
        return getattr(self, key)


def measures_read(*, signal: Mapping[str, Any] | None, delivery: Mapping[str, Any] | None, voice: bool,
                  word_count: int, duration_s: float | None = None, speaking_time_s: float | None = None,
                  transcript_confidence: float | None = None) -> Measures:
    """Collect an answer's measurements from the signal aggregates and the transcript's word metrics."""
    signal = signal or {}
    delivery = delivery or {}
    duration = duration_s if duration_s is not None else _num(signal, "duration_s")
    speaking = speaking_time_s if speaking_time_s is not None else _num(signal, "speaking_time_s")
    fillers = tuple((_word_of(f).lower(), _time_of(f)) for f in delivery.get("fillers") or [] if _word_of(f))
    hedges = tuple((_word_of(h).lower(), _time_of(h)) for h in delivery.get("hedges") or [] if _word_of(h))
    filler_count = int(_num(delivery, "filler_count") or len(fillers))
    # Pace is the stored figure only (words from the first to the last, as the live meter shows it). No fallback
    # to words over the whole recording: that is another figure, and judged against the same band it gave advice
    # opposite to the live nudge's.
    wpm = _num(delivery, "wpm")
    fpm = _num(delivery, "fillers_per_minute")
    if fpm is None and voice and duration:
        fpm = filler_count / (duration / 60)
    pauses = delivery.get("pauses") or signal.get("pauses") or []
    long_count = _num(signal, "long_pause_count")
    if long_count is None and pauses:
        long_count = sum(1 for p in pauses if isinstance(p, Mapping) and (_pause_len(p) or 0) >= LONG_PAUSE_S)
    counts = Counter(word for word, _ in fillers)
    return Measures(
        voice=voice, duration_s=duration, speaking_time_s=speaking, word_count=word_count,
        wpm=wpm if voice else None, pace_span_s=_num(delivery, "pace_span_s") if voice else None,
        articulation_wpm=_num(delivery, "articulation_wpm") if voice else None,
        filler_count=filler_count if voice else 0, fillers_per_min=fpm if voice else None,
        fillers=fillers, hedges=hedges,
        pause_count=_int(_num(signal, "pause_count")), long_pause_count=_int(long_count),
        longest_pause_s=_num(signal, "longest_pause_s"), pause_total_s=_num(signal, "pause_total_s"),
        pauses=tuple(p for p in pauses if isinstance(p, Mapping)),
        pitch_median_hz=_num(signal, "pitch_median_hz"), pitch_std_st=_num(signal, "pitch_std_st"),
        pitch_range_st=_num(signal, "pitch_range_st"),
        monotone=signal.get("monotone") if isinstance(signal.get("monotone"), bool) else None,
        loudness_mean_dbfs=_num(signal, "loudness_mean_dbfs"),
        loudness_std_db=_num(signal, "loudness_std_db"),
        jitter_local=_num(signal, "jitter_local"), shimmer_local=_num(signal, "shimmer_local"),
        clipping_fraction=_num(signal, "clipping_fraction"), silence_fraction=_num(signal, "silence_fraction"),
        voiced_fraction=_num(signal, "voiced_fraction"),
        transcript_confidence=transcript_confidence,
        filler_counts=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _pause_len(pause: Mapping[str, Any]) -> float | None:
    # Both writers of pauses (the analyzer's signal, the transcript's aligned list) give `start` and `end`.
    start, end = _num(pause, "start"), _num(pause, "end")
    return None if start is None or end is None else end - start


def pause_length(pause: Mapping[str, Any]) -> float | None:
    return _pause_len(pause)


def pause_start(pause: Mapping[str, Any]) -> float | None:
    return _num(pause, "start")


# --- Sub-scores (0-100), each from one measurement against its band -------------------------------------------

def _pace_score(m: Measures) -> float | None:
    if m.wpm is None:
        return None
    band = BANDS["wpm"]
    distance = max(0.0, band.low - m.wpm, m.wpm - band.high)
    return max(0.0, 100 - 1.5 * distance)


def _filler_score(m: Measures) -> float | None:
    if m.fillers_per_min is None:
        return None
    return max(0.0, 100 - 12 * max(0.0, m.fillers_per_min - BANDS["fillers_per_min"].high))


def _pause_score(m: Measures) -> float | None:
    per_min = m.long_pauses_per_min
    if per_min is None:
        return None
    share = (m.pause_total_s or 0) / m.duration_s if m.duration_s else 0.0
    score = 100 - 25 * max(0.0, per_min - BANDS["long_pauses_per_min"].high) - 100 * max(0.0, share - 0.35)
    if (m.longest_pause_s or 0) > 5:
        score -= 10
    return max(0.0, score)


def _pitch_score(m: Measures) -> float | None:
    if m.pitch_std_st is None:
        return None
    return max(0.0, 100 - 40 * max(0.0, BANDS["pitch_std_st"].low - m.pitch_std_st))


def _loudness_score(m: Measures) -> float | None:
    if m.loudness_std_db is None:
        return None
    band = BANDS["loudness_std_db"]
    return max(0.0, 100 - 15 * max(0.0, band.low - m.loudness_std_db) - 5 * max(0.0, m.loudness_std_db - band.high))


@dataclass(frozen=True)
class Gates:
    """Which judgements the recording supports."""

    delivery: bool      # any delivery judgement at all
    words: bool         # pace, fillers, hedges (need a trustworthy transcript)
    voice_quality: bool  # pitch, loudness, jitter/shimmer (need unclipped audio)


def gates_for(m: Measures) -> Gates:
    if not m.voice or m.mostly_silent or m.mostly_clipped:
        return Gates(delivery=False, words=False, voice_quality=False)
    return Gates(delivery=True, words=not m.low_confidence, voice_quality=not m.some_clipping)


def delivery_subscores(m: Measures) -> dict[str, float]:
    """The sub-scores the recording supports, by band key."""
    gates = gates_for(m)
    if not gates.delivery:
        return {}
    candidates = {"pauses": _pause_score(m)}
    if gates.words:
        candidates |= {"pace": _pace_score(m), "fillers": _filler_score(m)}
    if gates.voice_quality:
        candidates |= {"pitch": _pitch_score(m), "loudness": _loudness_score(m)}
    return {k: v for k, v in candidates.items() if v is not None}


_WEIGHTS = {"pace": 0.3, "fillers": 0.25, "pauses": 0.2, "pitch": 0.15, "loudness": 0.1}


def delivery_score(m: Measures) -> int | None:
    """Weighted mean of the supported sub-scores; None when delivery cannot be judged (typed, silent, clipped)."""
    subs = delivery_subscores(m)
    if not subs:
        return None
    total = sum(_WEIGHTS[k] for k in subs)
    return round(sum(_WEIGHTS[k] * v for k, v in subs.items()) / total)


def confidence_score(m: Measures) -> int | None:
    """How sure the candidate sounds: few fillers and hedges, steady pace, few long pauses, an audible varied voice.

    Not a psychological claim: a summary of the measurable signs listeners read as (un)certainty.
    """
    subs = delivery_subscores(m)
    if not subs:
        return None
    score = 100.0
    if m.fillers_per_min is not None and "fillers" in subs:
        score -= min(30.0, 6 * max(0.0, m.fillers_per_min - 2))
    if m.minutes and "fillers" in subs:
        score -= min(20.0, 8 * len(m.hedges) / m.minutes)
    if "pauses" in subs:
        score -= (100 - subs["pauses"]) * 0.25
    if "pitch" in subs:
        score -= (100 - subs["pitch"]) * 0.2
    if "loudness" in subs and m.loudness_mean_dbfs is not None and m.loudness_mean_dbfs < -35:
        score -= min(15.0, (-35 - m.loudness_mean_dbfs) * 1.5)
    if "pace" in subs and m.wpm is not None and m.wpm < BANDS["wpm"].low:
        score -= (100 - subs["pace"]) * 0.2
    return max(0, min(100, round(score)))


def band_rows(m: Measures) -> list[dict[str, Any]]:
    """Each band with the answer's value and whether it is inside (None when not measured or withheld)."""
    gates = gates_for(m)
    allowed = {"wpm": gates.words, "fillers_per_min": gates.words, "long_pauses_per_min": gates.delivery,
               "pitch_std_st": gates.voice_quality, "loudness_std_db": gates.voice_quality}
    rows = []
    for key, band in BANDS.items():
        value = m.value(key) if allowed[key] else None
        rows.append({"key": key, "label": band.label, "target": band.text, "low": band.low, "high": band.high,
                     "unit": band.unit, "value": None if value is None else round(value, 2),
                     "ok": None if value is None else band.contains(value)})
    return rows
