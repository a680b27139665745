"""The mastery rule and the review schedule: pure functions, no Django, so every property can be tested directly.

The rule: a Glicko-style logistic rating with a Gaussian uncertainty
--------------------------------------------------------------------
A candidate's skill on a subtopic is a rating `r` on the logit scale with a variance `v`. A question of difficulty
`d` (1 junior, 2 mid, 3 senior) sits at `b = DIFFICULTY_LOGIT[d]` (-1, 0, +1), and the expected answer score is
`p = sigmoid(r - b)` (the Rasch/Elo model). So `sigmoid(r)` is "the score to expect on a mid-level question", which
is what pages show as the mastery percent, and `sigmoid(r +- 1.28 sqrt(v))` is its 80 % band.

One scored answer (score `s` in [0, 1]) updates the estimate by one Newton step of the posterior (the Laplace
approximation that Glicko and TrueSkill use), treating the 0-100 score as `EVIDENCE_WEIGHT` Bernoulli trials (a
score aggregates several key points, so it says more than one right/wrong outcome):

    1. recency:   v <- min(MAX_VARIANCE, v + DRIFT_PER_DAY * days since last practice)   (Glicko's RD growth:
                  an old estimate is less certain, so the next answer moves it more)
    2. info:      I = EVIDENCE_WEIGHT * p (1 - p)                      (Fisher information of the answer)
    3. variance:  v' = max(MIN_VARIANCE, 1 / (1 / v + I))            (uncertainty narrows with evidence)
    4. rating:    r' = clamp(r + v' * EVIDENCE_WEIGHT * (s - p), +-RATING_BOUND)

Properties (each one is a test in tests/mastery/test_rules.py):
- bounded: |r'| <= RATING_BOUND and MIN_VARIANCE <= v' <= MAX_VARIANCE whatever the input;
- monotone in the score: r' is linear and increasing in `s`, so a better answer never lowers mastery more than a
  worse one;
- difficulty: for the same score, a harder question moves the rating up more (or down less). d r'/d p < 0 because
  its numerator is -k(1/v + k((p - s)^2 + s(1 - s))) < 0;
- evidence: more past evidence means a smaller variance and so a smaller step (new skills move fast, settled ones
  slowly); the fixed point of repeated answers with score `s` at difficulty `b` is r = logit(s) + b;
- recency: the longer since the last practice, the larger the step.

Wrong is worse than missing: the score an answer brings to its subtopic is its content score, lowered for every
key point it *contradicted* (stated wrongly) by CONTRADICTED_PENALTY of that point's share, and capped under
LAPSE_SCORE when any point was contradicted (`content_evidence`). A missed point only loses its own share inside
the content score; a contradicted one also pulls the evidence down, so for the same content score an answer that
got a point wrong counts as weaker evidence than one that left it out, and the subtopic comes up for review the
next day.

Topic mastery is derived from its practised subtopics: the precision-weighted mean of their ratings, and as
variance the harmonic mean of theirs (subtopics are different skills, so combining them does not make the topic
more certain than its typical subtopic).

Spaced review
-------------
Each subtopic keeps an interval (days). After an answer (SM-2/Anki-like, with the ease taken from the rating):
- a poor answer (s < LAPSE_SCORE) resets the interval to MIN_INTERVAL_DAYS (review tomorrow);
- a middling one (s < GOOD_SCORE) grows it a little (x HARD_GROWTH);
- a good one multiplies it by an ease between EASE_MIN and EASE_MAX, growing with the pessimistic strength
  `sigmoid(r - sqrt(v))`, so intervals grow as mastery gets stronger and more certain;
- always within [MIN_INTERVAL_DAYS, MAX_INTERVAL_DAYS]. Next review = time of practice + interval.

Delivery skills
---------------
Pace, filler words, pauses and pitch variation are subtopics of the topic "delivery" and use the same rule, at the
mid difficulty. An answer's score for a skill is the feedback coach's measurement sub-score (0-100, its value
against the target band; pipeline/measures.py), so the report, the coach and mastery read the same numbers,
bands and honesty gates (a silent, clipped or badly transcribed answer judges nothing it cannot support).
Skills are read only from answers of at least MIN_DELIVERY_SECONDS. A drill's target comes from the candidate's
typical (median) value: the band's edge, or one `step` toward it when the edge is far.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.measures import BANDS as MEASURE_BANDS
from pipeline.measures import Band as MeasureBand
from pipeline.measures import band_rows, delivery_subscores, measures_read

# --- the rating -----------------------------------------------------------------------------------------------

PRIOR_RATING = 0.0          # a new subtopic: expect 50 % on a mid-level question ...
PRIOR_VARIANCE = 1.0        # ... with a wide band (80 % band ~ 22-78 %)
MIN_VARIANCE = 0.04         # sd 0.2: never so certain that new answers stop counting
MAX_VARIANCE = PRIOR_VARIANCE  # time away never makes us less sure than about a newcomer (Glicko's RD cap)
RATING_BOUND = 4.0          # sigmoid(4) = 98 %: keeps one freak answer from running away
EVIDENCE_WEIGHT = 4.0       # one 0-100 score counts as ~4 right/wrong key points
DRIFT_PER_DAY = 0.016       # variance regained per idle day: from the floor back to the prior in ~2 months
DIFFICULTY_LOGIT = {1: -1.0, 2: 0.0, 3: 1.0}
BAND_Z = 1.2816             # 80 % two-sided band
WEAK_STRENGTH = 0.6         # below 60 % expected on a mid-level question a subtopic is "weak"

CONTRADICTED_PENALTY = 1.5  # per contradicted point, times its share of the key points (a miss costs ~1 share)
CONTRADICTED_CAP = 0.45     # under LAPSE_SCORE: a wrong statement always brings the subtopic back for review

# --- the schedule ---------------------------------------------------------------------------------------------

MIN_INTERVAL_DAYS = 1.0
MAX_INTERVAL_DAYS = 60.0
LAPSE_SCORE = 0.5
GOOD_SCORE = 0.7
HARD_GROWTH = 1.2
EASE_MIN = 1.3
EASE_MAX = 2.5


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def difficulty_logit(difficulty: int | None) -> float:
    return DIFFICULTY_LOGIT.get(int(difficulty or 2), 0.0)


@dataclass(frozen=True)
class Estimate:
    rating: float = PRIOR_RATING
    variance: float = PRIOR_VARIANCE
    evidence_count: int = 0

    @property
    def strength(self) -> float:
        """Expected score (0-1) on a mid-level question."""
        return sigmoid(self.rating)

    @property
    def percent(self) -> int:
        return round(100 * self.strength)

    @property
    def band(self) -> tuple[int, int]:
        """The 80 % credible band of the percent."""
        sd = math.sqrt(self.variance)
        return round(100 * sigmoid(self.rating - BAND_Z * sd)), round(100 * sigmoid(self.rating + BAND_Z * sd))

    @property
    def pessimistic_strength(self) -> float:
        """One standard deviation below: what we are fairly sure of (ranks weak skills, sets the ease)."""
        return sigmoid(self.rating - math.sqrt(self.variance))

    @property
    def weak(self) -> bool:
        return self.evidence_count > 0 and self.strength < WEAK_STRENGTH


def expected_score(rating: float, difficulty: int | None) -> float:
    return sigmoid(rating - difficulty_logit(difficulty))


def content_evidence(*, score: float, contradicted: int, points: int) -> float:
    """The 0-1 evidence an answer gives its subtopic: the content score (0-1) lowered for contradicted points."""
    s = _clamp(float(score), 0.0, 1.0)
    if contradicted <= 0:
        return s
    share = min(1.0, contradicted / max(points, contradicted, 1))
    return min(CONTRADICTED_CAP, max(0.0, s - CONTRADICTED_PENALTY * share))


def variance_after_idle(variance: float, days: float | None) -> float:
    """Glicko-style growth of uncertainty with time since the last practice."""
    if not days or days <= 0:
        return _clamp(variance, MIN_VARIANCE, MAX_VARIANCE)
    return _clamp(variance + DRIFT_PER_DAY * days, MIN_VARIANCE, MAX_VARIANCE)


def rating_update(estimate: Estimate, *, score: float, difficulty: int | None, idle_days: float | None) -> Estimate:
    """One scored answer -> the new estimate (see the module docstring)."""
    if not math.isfinite(score):
        raise ValueError("score must be a finite number")
    s = _clamp(float(score), 0.0, 1.0)
    rating = _clamp(estimate.rating, -RATING_BOUND, RATING_BOUND)
    variance = variance_after_idle(estimate.variance, idle_days)
    p = expected_score(rating, difficulty)
    information = EVIDENCE_WEIGHT * p * (1.0 - p)
    new_variance = _clamp(1.0 / (1.0 / variance + information), MIN_VARIANCE, MAX_VARIANCE)
    new_rating = _clamp(rating + new_variance * EVIDENCE_WEIGHT * (s - p), -RATING_BOUND, RATING_BOUND)
    return Estimate(rating=new_rating, variance=new_variance, evidence_count=estimate.evidence_count + 1)


def estimates_combine(estimates: Iterable[Estimate]) -> Estimate:
    """Topic mastery from its practised subtopics (precision-weighted; see the module docstring)."""
    practised = [e for e in estimates if e.evidence_count > 0]
    if not practised:
        return Estimate()
    precisions = [1.0 / max(e.variance, MIN_VARIANCE) for e in practised]
    total = sum(precisions)
    rating = sum(w * e.rating for w, e in zip(precisions, practised, strict=True)) / total
    return Estimate(rating=rating, variance=len(practised) / total,
                    evidence_count=sum(e.evidence_count for e in practised))


# --- spaced review --------------------------------------------------------------------------------------------

def ease_for(estimate: Estimate) -> float:
    """Interval growth factor: EASE_MIN for a 50 %-or-worse pessimistic strength, EASE_MAX from 90 %."""
    t = _clamp((estimate.pessimistic_strength - 0.5) / 0.4, 0.0, 1.0)
    return EASE_MIN + (EASE_MAX - EASE_MIN) * t


def review_interval(*, previous_days: float | None, score: float, estimate: Estimate) -> float:
    """Days until the next review, given the answer just scored and the estimate after it."""
    previous = _clamp(previous_days or MIN_INTERVAL_DAYS, MIN_INTERVAL_DAYS, MAX_INTERVAL_DAYS)
    if score < LAPSE_SCORE:
        days = MIN_INTERVAL_DAYS
    elif score < GOOD_SCORE:
        days = previous * HARD_GROWTH
    else:
        days = previous * ease_for(estimate)
    return round(_clamp(days, MIN_INTERVAL_DAYS, MAX_INTERVAL_DAYS), 2)


def review_urgency(*, estimate: Estimate, overdue_days: float | None, interval_days: float) -> float:
    """Higher = review sooner. Weakness (what we are sure is not known) plus how far past due, relative to the
    interval (a day late on a 1-day interval matters more than on a 30-day one)."""
    weakness = 1.0 - estimate.pessimistic_strength
    lateness = 0.0 if overdue_days is None or overdue_days < 0 else min(1.0, (overdue_days + 1.0) / interval_days)
    return round(weakness + lateness, 4)


# --- delivery skills ------------------------------------------------------------------------------------------

MIN_DELIVERY_SECONDS = 10.0  # rates over shorter answers are noise


@dataclass(frozen=True)
class Skill:
    """A delivery skill tracked as a subtopic of the topic "delivery", read against a measurement band."""

    slug: str       # the delivery subtopic's slug
    name: str       # the subtopic's name
    subscore: str   # its key in measures.delivery_subscores
    metric: str     # its band's key in measures.BANDS (the number a drill targets)
    step: float     # the largest change a drill asks for at once
    advice: str

    @property
    def band(self) -> MeasureBand:
        return MEASURE_BANDS[self.metric]

    @property
    def label(self) -> str:
        return self.band.label

    @property
    def unit(self) -> str:
        return self.band.unit

    @property
    def low(self) -> float | None:
        return self.band.low

    @property
    def high(self) -> float | None:
        return self.band.high

    def describe(self) -> str:
        return self.band.text

    def contains(self, value: float) -> bool:
        return self.band.contains(value)

    def next_target(self, value: float) -> float:
        """A reachable target from the candidate's own number: the band edge, or one step toward it."""
        if self.contains(value):
            return value
        edge = self.band.low if self.band.low is not None and value < self.band.low else self.band.high
        assert edge is not None  # outside a band means past one of its set edges
        if abs(edge - value) <= self.step:
            return edge
        return value + self.step if value < edge else value - self.step


SKILLS: dict[str, Skill] = {skill.slug: skill for skill in (
    Skill("pace", "Pace", "pace", "wpm", 20,
          "Record a 60-second answer and aim for the target pace: pause at full stops, one idea per sentence."),
    Skill("fillers", "Filler words", "fillers", "fillers_per_min", 2,
          "Answer a question out loud and replace every um, uh or 'like' with a short silent pause."),
    Skill("pauses", "Pauses", "pauses", "long_pauses_per_min", 1,
          "Outline the answer in three points before you start, so long silences become brief pauses between them."),
    Skill("pitch-variation", "Pitch variation", "pitch", "pitch_std_st", 1,
          "Read an answer aloud stressing the key word of each sentence; let your voice rise and fall."),
)}


@dataclass(frozen=True)
class DeliveryReading:
    values: dict[str, float]   # band key -> the answer's measured value (only what the recording supports)
    scores: dict[str, float]   # skill slug -> score 0-1


def delivery_read(*, signal: Mapping[str, Any] | None, delivery: Mapping[str, Any] | None, voice: bool,
                  word_count: int, duration_s: float | None = None, speaking_time_s: float | None = None,
                  transcript_confidence: float | None = None) -> DeliveryReading:
    """One answer's delivery numbers and skill scores; empty for typed, short, silent or clipped answers."""
    measures = measures_read(signal=signal, delivery=delivery, voice=voice, word_count=word_count,
                             duration_s=duration_s, speaking_time_s=speaking_time_s,
                             transcript_confidence=transcript_confidence)
    if not voice or not measures.duration_s or measures.duration_s < MIN_DELIVERY_SECONDS:
        return DeliveryReading({}, {})
    values = {row["key"]: float(row["value"]) for row in band_rows(measures)
              if row["value"] is not None and math.isfinite(row["value"])}
    subscores = delivery_subscores(measures)
    scores = {skill.slug: round(_clamp(subscores[skill.subscore] / 100.0, 0.0, 1.0), 4)
              for skill in SKILLS.values() if skill.subscore in subscores}
    return DeliveryReading(values, scores)


def typical(values: Iterable[float | None]) -> float | None:
    """The candidate's typical number (median: one odd answer does not set the drill target)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None
