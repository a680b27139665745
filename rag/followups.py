"""Adaptive follow-ups (first version: always move on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FollowUpDecision:
    action: str = "next"
    reason: str = ""
    question_fields: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason,
                "question": (self.question_fields or {}).get("text")}


def followup_decide(*, answer: Any) -> FollowUpDecision:
    return FollowUpDecision(action="next", reason="")
