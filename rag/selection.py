"""Choosing the questions of an interview. (First version: bank questions by mode, topic and difficulty;
ranking by resume, job, mastery and history comes with the knowledge issue.)"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from mastery.models import Topic


@dataclass
class QuestionPlan:
    text: str
    topic: Any
    subtopic: Any = None
    difficulty: int = 2
    source: str = "bank"
    bank_question: Any = None
    reference_answer: str = ""
    key_points: list[str] = field(default_factory=list)
    hint: str = ""
    rationale: str = ""

    def as_fields(self) -> dict[str, Any]:
        return {"text": self.text, "topic": self.topic, "subtopic": self.subtopic, "difficulty": self.difficulty,
                "source": self.source, "bank_question": self.bank_question,
                "reference_answer": self.reference_answer, "key_points": self.key_points, "hint": self.hint,
                "rationale": self.rationale[:300]}


def questions_choose(*, user: Any, mode: str, topics: list[Topic], difficulty: int, count: int,
                     resume: Any = None, job_description: Any = None) -> tuple[list[QuestionPlan], str]:
    from rag.models import BankQuestion

    qs = BankQuestion.objects.filter(is_active=True).select_related("topic", "subtopic")
    if topics:
        qs = qs.filter(topic__in=topics)
    elif mode == "behavioral":
        qs = qs.filter(topic__kind="behavioral")
    else:
        qs = qs.filter(topic__kind="technical")
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    rows = list(qs)
    random.Random(user.pk).shuffle(rows)
    return [QuestionPlan(text=q.text, topic=q.topic, subtopic=q.subtopic, difficulty=q.difficulty,
                         bank_question=q, reference_answer=q.reference_answer, key_points=list(q.key_points),
                         hint=q.hint, rationale="from the question bank") for q in rows[:count]], "bank"
