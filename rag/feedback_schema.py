"""The one feedback schema, whichever engine (Gemini or the offline coach) writes it.

Stored as JSON on `Answer.feedback`; Gemini is asked for exactly this structure (structured output) and its reply
is validated against it. Every improvement carries evidence: a quoted phrase, a number against its target range,
or a missed key point.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Evidence(BaseModel):
    kind: Literal["quote", "metric", "key_point"]
    text: str = Field(description="The quoted phrase, the metric in words, or the missed key point.")
    metric: str | None = Field(default=None, description="e.g. wpm, fillers_per_min, pitch_std_st")
    value: float | None = None
    target: str | None = Field(default=None, description="The target range in words, e.g. '120-160 wpm'.")


class Point(BaseModel):
    title: str = Field(max_length=120)
    detail: str = Field(max_length=600)
    evidence: list[Evidence] = Field(default_factory=list)
    # A stable label (pace, fillers, key_points, star, ...) so the report can aggregate points across answers
    # whose titles are, by design, specific to each answer.
    category: str | None = Field(default=None, max_length=40)


class StarPart(BaseModel):
    part: Literal["situation", "task", "action", "result"]
    present: bool
    quote: str | None = Field(default=None, description="Where the answer covers it.")


class IncorrectPoint(BaseModel):
    """A key point the answer got wrong: what was said, what is true, and why an interviewer cares."""

    point: str = Field(description="The key point the answer contradicted.")
    said: str = Field(description="The candidate's sentence that contradicted it, quoted.")
    correction: str = Field(description="What is true instead.")
    why: str = Field(default="", description="Why the mistake matters to an interviewer.")


class PointJudgement(BaseModel):
    """One key point's verdict: the same three verdicts as the offline judge (rag/verdicts.py)."""

    index: int = Field(ge=0, description="The key point's position in KEY POINTS, from 0.")
    verdict: Literal["covered", "contradicted", "missed"]
    sentence: str = Field(default="", description="The answer's sentence that decided it; empty when missed.")


class Scores(BaseModel):
    content: int = Field(ge=0, le=100)
    delivery: int | None = Field(default=None, ge=0, le=100, description="None when withheld (typed or silent).")
    structure: int = Field(ge=0, le=100)


class Feedback(BaseModel):
    scores: Scores
    summary: str = Field(max_length=800)
    strengths: list[Point] = Field(default_factory=list, max_length=5)
    improvements: list[Point] = Field(default_factory=list, max_length=6)
    # Listed before the improvements on every page: a wrong statement costs more than a gap.
    incorrect: list[IncorrectPoint] = Field(default_factory=list, max_length=6)
    verdicts: list[PointJudgement] = Field(default_factory=list, max_length=12,
                                           description="A verdict for every key point, by index.")
    stronger_answer_outline: list[str] = Field(default_factory=list, max_length=8)
    star: list[StarPart] | None = Field(default=None, description="Behavioral questions only.")
    withheld: list[str] = Field(default_factory=list,
                                description="Judgements not made, and why (e.g. audio mostly silence).")
    caveats: list[str] = Field(default_factory=list, description="e.g. low transcript confidence.")


class StoredFeedback(Feedback):
    """What is saved: the engine's feedback plus provenance."""

    engine: Literal["gemini", "offline"]
    model: str | None = None
    disagreement: dict[str, float] | None = Field(
        default=None, description="Gemini's scores minus the offline coach's where they differ by > 20 points.")
    verdict_disagreements: list[dict[str, str | int]] | None = Field(
        default=None, description="Key points where Gemini's verdict differs from the offline judge's (which is kept).")
