"""The follow-up table: written answers scored through the real pipeline scorer, then the follow-up rule.

Each answer gets an interview of its own (so no cap or earlier question interferes), its question copied from the
bank as an interview would ask it, and goes through `rag.services.answer_score_content` (the pipeline's scoring
step) and `rag.followups.followup_decide`. Everything is written inside one transaction that is rolled back: the
command leaves no interview behind. Data: tests/data/followups/answers.jsonl (docs/followups.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

ANSWERS = Path(__file__).resolve().parent.parent / "tests" / "data" / "followups" / "answers.jsonl"


class TableError(ValueError):
    """A row of the answer file that cannot be run (bad JSON, missing field, a question not in the bank)."""


@dataclass(frozen=True)
class TableRow:
    id: str
    kind: str
    question: str
    score: float
    flags: tuple[str, ...]
    action: str
    rule: str
    asked: str | None
    key_points: tuple[str, ...] = field(default=(), repr=False)
    wrong: str = ""


def answers_read(path: Path = ANSWERS) -> list[dict[str, str]]:
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise TableError(f"{path.name} line {number}: not JSON ({exc})") from exc
        missing = {"id", "kind", "question", "answer"} - set(row)
        if missing:
            raise TableError(f"{path.name} line {number}: missing {sorted(missing)}")
        rows.append(row)
    return rows


def followup_table_run(*, rows: list[dict[str, str]]) -> list[TableRow]:
    """Score each answer and decide its follow-up; nothing written stays (the transaction is rolled back)."""
    from accounts.models import User
    from rag.followups import answer_is_wrong, followup_decide
    from rag.models import BankQuestion
    from rag.services import answer_score_content
    from sessions.models import Answer, AnswerStatus, InterviewSession, SessionQuestion

    out: list[TableRow] = []
    with transaction.atomic():
        user = User.objects.create_user("followup-table@example.invalid", None)
        for row in rows:
            bank = BankQuestion.objects.filter(text=row["question"], is_active=True).select_related(
                "topic", "subtopic").first()
            if bank is None:
                raise TableError(f"{row['id']}: the question is not an active bank question: {row['question']!r}")
            mode = "behavioral" if bank.topic.kind == "behavioral" else "technical"
            session = InterviewSession.objects.create(owner=user, mode=mode)
            question = SessionQuestion.objects.create(
                session=session, position=1, text=bank.text, topic=bank.topic, subtopic=bank.subtopic,
                difficulty=bank.difficulty, bank_question=bank, reference_answer=bank.reference_answer,
                key_points=list(bank.key_points), hint=bank.hint)
            answer = Answer.objects.create(question=question, user=user, transcript=row["answer"], input_mode="text",
                                           status=AnswerStatus.PROCESSING)
            answer_score_content(answer_id=answer.pk)
            answer = Answer.objects.select_related("question", "question__session", "question__topic",
                                                   "question__subtopic", "question__bank_question").get(pk=answer.pk)
            decision = followup_decide(answer=answer)
            out.append(TableRow(
                id=row["id"], kind=row["kind"], question=bank.text, score=float(answer.content_score or 0.0),
                flags=tuple(f.get("code", "") for f in answer.red_flags or []), action=decision.action,
                rule=decision.rule, asked=(decision.question_fields or {}).get("text"),
                key_points=tuple(bank.key_points), wrong=answer_is_wrong(answer)))
        transaction.set_rollback(True)
    return out
