"""The figures every page shows about interviews, each defined once: which attempt counts, how many questions were
answered, the mean scores and the mean delivery numbers.

History, the report (page and PDF), progress, the API, the cohort dashboard and assignment status all read these
through the selectors of the app that owns the data (`sessions.selectors.session_figures`,
`mastery.selectors.progress_over_time`), so two pages can never show two numbers for one thing. It sits in
`pipeline/` because `mastery` (progress) and `sessions` (everything else) both need it and `mastery` is the lower
app; it reads answers and questions through the fields `pipeline.records` lists, and imports no app.

The definitions:

- **The counted answer** of a question is its latest *scored* attempt; a failed or unfinished attempt never counts
  and an earlier attempt is superseded by a later one.
- **Questions** are the ones the candidate sees in the room: the planned questions and every follow-up inserted
  after an answer (a follow-up is a question of its own, with its own row in the room and the report). Follow-ups
  therefore count in the denominator as well as the numerator, so "answered" never exceeds "questions".
- **Answered** is the number of questions with a counted answer (each question once, whatever its attempts).
- **Means** (content, delivery, structure, confidence) are over the counted answers that carry the score, rounded
  to one decimal; a page rounds that one value for display.
- **Delivery means** (pace and the other bands) are over the counted *spoken* answers whose recording supports the
  judgement (`pipeline.measures.band_rows`: a silent, clipped or low-confidence answer has no pace). Pace is the
  stored `delivery.wpm`: words per minute from the first word to the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from statistics import mean
from typing import Any

from pipeline.measures import BANDS, Measures, band_rows, confidence_score, measures_read
from pipeline.records import InputMode

SCORED = "scored"            # sessions.models.AnswerStatus.SCORED (pipeline imports no app)
SKIPPED = "skipped"          # sessions.models.QuestionStatus.SKIPPED
FOLLOW_UP = "follow_up"      # sessions.models.QuestionSource.FOLLOW_UP


def figure_mean(values: Iterable[float | None]) -> float | None:
    """The one mean of the figures: over the values present, one decimal; None when there are none."""
    present = [float(v) for v in values if v is not None]
    return round(mean(present), 1) if present else None


def figure_text(value: float | None, digits: int = 0) -> str:
    """A figure as every page prints it: rounded half up, as the templates' `floatformat` does (Python's round and
    f-strings round 58.5 to 58 where the page shows 59), "—" when there is none."""
    if value is None:
        return "—"
    return str(Decimal(str(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def answer_measures(answer: Any) -> Measures:
    """An answer's delivery measurements, read one way for every page (word count from the transcript's words)."""
    words = answer.words or []
    word_count = len(words) if words else len((answer.transcript or "").split())
    return measures_read(signal=answer.signal, delivery=answer.delivery, voice=answer.input_mode == InputMode.VOICE,
                         word_count=word_count, duration_s=answer.duration_s, speaking_time_s=answer.speaking_time_s,
                         transcript_confidence=answer.transcript_confidence)


def counted_answer(answers: Iterable[Any]) -> Any | None:
    """The attempt that counts for a question: its latest scored one (None when no attempt is scored)."""
    scored = [a for a in answers if a.status == SCORED]
    return max(scored, key=lambda a: a.attempt) if scored else None


def answer_band_values(answer: Any) -> dict[str, float | None]:
    """Each band's value for one answer, None where the recording does not support the judgement."""
    if answer.input_mode != InputMode.VOICE:
        return dict.fromkeys(BANDS)
    return {row["key"]: row["value"] for row in band_rows(answer_measures(answer))}


@dataclass(frozen=True)
class Figures:
    """What every page says about a set of questions (one interview, or all of a member's in a window)."""

    questions: int = 0
    answered: int = 0
    skipped: int = 0
    follow_ups: int = 0
    spoken: int = 0
    content: float | None = None
    delivery: float | None = None
    structure: float | None = None
    confidence: float | None = None
    bands: Mapping[str, float | None] = field(default_factory=lambda: dict.fromkeys(BANDS))

    @property
    def pace_wpm(self) -> float | None:
        """Mean pace (first word to last) over the spoken answers that support it."""
        return self.bands.get("wpm")

    @property
    def complete(self) -> bool:
        """Every question the candidate was shown, follow-ups included, has a scored answer."""
        return self.questions > 0 and self.answered == self.questions


def figures_of(questions: Sequence[Any]) -> Figures:
    """The figures of `questions`, each with its answers prefetched (`question.answers.all()`)."""
    counted = [a for a in (counted_answer(q.answers.all()) for q in questions) if a is not None]
    spoken = [a for a in counted if a.input_mode == InputMode.VOICE]
    per_answer = [answer_band_values(a) for a in spoken]
    return Figures(
        questions=len(questions),
        answered=len(counted),
        skipped=sum(1 for q in questions if q.status == SKIPPED),
        follow_ups=sum(1 for q in questions if q.source == FOLLOW_UP),
        spoken=len(spoken),
        content=figure_mean(a.content_score for a in counted),
        delivery=figure_mean(a.delivery_score for a in counted),
        structure=figure_mean(a.structure_score for a in counted),
        confidence=figure_mean(confidence_score(answer_measures(a)) for a in counted),
        bands={key: figure_mean(values[key] for values in per_answer) for key in BANDS},
    )
