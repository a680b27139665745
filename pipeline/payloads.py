"""Typed values that cross a step boundary of the answer pipeline.

Celery carries JSON, so a step receives ids and flags, never model objects or audio; these dataclasses give the
values that leave a step one name per field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepFailure:
    """A step of an answer's pipeline ran out of retries."""

    answer_id: int
    step: str      # the step's label, shown to the candidate: "transcription", "scoring", "mastery" ...
    error: str     # the exception's type and message, clipped for storage

    @property
    def reason(self) -> str:
        return f"{self.step} failed: {self.error}"[:300]

    @classmethod
    def from_exception(cls, *, answer_id: int, step: str, exc: BaseException) -> StepFailure:
        return cls(answer_id=answer_id, step=step, error=f"{type(exc).__name__}: {exc}"[:280])
