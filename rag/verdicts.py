"""Typed payloads of content judgement: a verdict per key point, relevance, red flags.

One shape for every judge (technical key points, behavioral rubric points, Gemini's structured verdicts) and every
reader (scoring, the feedback coach, mastery, the report, follow-ups), so a verdict means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["covered", "contradicted", "missed"]
COVERED: Verdict = "covered"
CONTRADICTED: Verdict = "contradicted"
MISSED: Verdict = "missed"

Severity = Literal["fail", "major", "minor"]


@dataclass(frozen=True)
class PointVerdict:
    """What the answer did with one key point, and the sentence of the answer that decided it."""

    index: int
    point: str
    verdict: Verdict
    sentence: str = ""        # the answer's sentence that decided it ("" when missed)
    confidence: float = 0.0   # 0..1: how sure the judge is of this verdict
    similarity: float = 0.0   # the embedding match of `sentence` (or of the closest sentence) to the point
    correction: str = ""      # contradicted: what is true (the bank's correction, else the point itself)
    why: str = ""             # contradicted: why it matters to an interviewer
    closest: str = ""         # missed: the closest sentence, for "you were near it when you said ..."

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RedFlag:
    """Something an interviewer would hold against the answer, explained for the candidate."""

    code: str                 # blame | no_result | we_only | disguised_strength | off_question | vague | ...
    message: str
    severity: Severity = "major"  # "fail": the answer cannot pass whatever else it covers
    sentence: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Judgement:
    verdicts: tuple[PointVerdict, ...] = ()
    relevance: float = 1.0    # 0..1: the share of the answer that addresses the question
    red_flags: tuple[RedFlag, ...] = field(default_factory=tuple)

    @property
    def covered(self) -> list[PointVerdict]:
        return [v for v in self.verdicts if v.verdict == COVERED]

    @property
    def contradicted(self) -> list[PointVerdict]:
        return [v for v in self.verdicts if v.verdict == CONTRADICTED]

    @property
    def missed(self) -> list[PointVerdict]:
        return [v for v in self.verdicts if v.verdict == MISSED]

    @property
    def failed(self) -> bool:
        return any(flag.severity == "fail" for flag in self.red_flags)
