"""Adaptive follow-ups: after each scored answer, what comes next. Deterministic, offline, no model needed.

The rule (checked in this order; the first that applies wins):

1. No follow-up when the answer has no content score yet, when the question is itself a follow-up, when the
   question already has a follow-up (at most one per question, also across re-answers), or when its topic already
   had FOLLOW_UP_CAP_PER_TOPIC follow-ups in this interview.  -> "next"
2. Wrong answer (a contradicted core point, a failing red flag such as a story off the question, or a score under
   PASS_SCORE) is never moved to a harder question: with a contradicted point, a probe on that point (the bank's
   probe for it when there is one)  -> "correct"; otherwise the rules below, without 4.
3. Weak answer (score < WEAK_SCORE): an easier bank question of the same subtopic that this interview has not asked.
   -> "simpler"  (without one, fall through to 4)
4. Key points missed and score < STRONG_SCORE: a probe on the first missed key point (the bank lists key points in
   order of importance). The question is the bank's own follow-up that shares the most words with that point when
   one shares at least two content words, else a probe built from the point.  -> "follow_up"
5. Strong answer (score >= STRONG_SCORE) below the top difficulty, and not wrong (2): a harder bank question of the
   same subtopic not yet asked, else the bank's first follow-up.  -> "deeper"
6. Otherwise  -> "next" (the next planned question, usually on another topic).

The inserted question is a `follow_up` with the answered question as parent, placed right after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

WEAK_SCORE = 35.0
PASS_SCORE = 50.0  # under it an answer is wrong, whatever it covered
STRONG_SCORE = 80.0
CORE_POINTS = 3    # the bank lists key points in order of importance: the first ones are the core of the answer
FOLLOW_UP_CAP_PER_TOPIC = 2
_STOP_TEXT = "a an the and or of to in on for with by is are be it its that this as at from can how what why when which"
_STOP = frozenset(_STOP_TEXT.split())


@dataclass
class FollowUpDecision:
    action: str = "next"
    reason: str = ""
    question_fields: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason,
                "question": (self.question_fields or {}).get("text")}


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9+#]+", text.lower()) if w not in _STOP and len(w) > 2}


def _point_text(item: Any) -> str:
    return item.get("point", "") if isinstance(item, dict) else str(item)


def _core_contradiction(answer: Any) -> dict[str, Any] | None:
    """The first contradicted core point (by its position in the question's key points), if any."""
    points = [str(p) for p in (answer.question.key_points or [])]
    for item in getattr(answer, "key_points_contradicted", None) or []:
        point = _point_text(item)
        index = points.index(point) if point in points else None
        if point and (index is None or index < CORE_POINTS):
            return item if isinstance(item, dict) else {"point": point}
    return None


def answer_is_wrong(answer: Any) -> str:
    """Why the answer counts as wrong for the follow-up rule ("" when it does not)."""
    contradicted = _core_contradiction(answer)
    if contradicted is not None:
        return f"it contradicted a core key point: {_point_text(contradicted)}"
    failing = next((f for f in getattr(answer, "red_flags", None) or []
                    if isinstance(f, dict) and f.get("severity") == "fail"), None)
    if failing is not None:
        return f"a failing red flag: {failing.get('code')}"
    if answer.content_score is not None and answer.content_score < PASS_SCORE:
        return f"the score {answer.content_score:.0f} is under the pass mark {PASS_SCORE:.0f}"
    return ""


def _bank_probe_for(point: str, question: Any) -> str | None:
    """The bank's probe for this key point (one per key point, same order), which asks without giving it away."""
    bank = question.bank_question
    if bank is None:
        return None
    points, probes = list(bank.key_points or []), list(getattr(bank, "probes", None) or [])
    if point in points and len(probes) == len(points):
        return probes[points.index(point)]
    return None


def _bank_follow_up_for(point: str, follow_ups: list[str]) -> str | None:
    words = _content_words(point)
    scored = [(len(words & _content_words(f)), -i, f) for i, f in enumerate(follow_ups)]
    best = max(scored, default=None)
    return best[2] if best and best[0] >= 2 else None


def _probe_text(point: str) -> str:
    point = point.rstrip(". ")
    return (f"Let's go one level deeper on a part you did not cover. {point}. "
            "Can you explain why that is, and when it matters in practice?")


def _fields(question: Any, *, text: str, difficulty: int | None = None, bank_question: Any = None,
            reference_answer: str = "", key_points: list[str] | None = None, hint: str = "",
            rationale: str) -> dict[str, Any]:
    return {"text": text, "topic": question.topic, "subtopic": question.subtopic,
            "difficulty": difficulty or question.difficulty, "source": "follow_up", "parent": question,
            "bank_question": bank_question, "reference_answer": reference_answer,
            "key_points": list(key_points or []), "hint": hint, "rationale": rationale[:300]}


def _bank_neighbour(question: Any, *, harder: bool) -> Any:
    """An unasked bank question of the same subtopic one step harder (or easier), nearest difficulty first."""
    from rag.models import BankQuestion

    if question.subtopic_id is None:
        return None
    asked = set(question.session.questions.exclude(bank_question__isnull=True)
                .values_list("bank_question_id", flat=True))
    qs = BankQuestion.objects.filter(is_active=True, subtopic_id=question.subtopic_id).exclude(pk__in=asked)
    if harder:
        return qs.filter(difficulty__gt=question.difficulty).order_by("difficulty", "ext_id").first()
    return qs.filter(difficulty__lt=question.difficulty).order_by("-difficulty", "ext_id").first()


def _from_bank(question: Any, bank: Any, *, rationale: str) -> dict[str, Any]:
    return _fields(question, text=bank.text, difficulty=bank.difficulty, bank_question=bank,
                   reference_answer=bank.reference_answer, key_points=list(bank.key_points), hint=bank.hint,
                   rationale=rationale)


def followup_decide(*, answer: Any) -> FollowUpDecision:
    """What follows this scored answer (see the module docstring for the rule)."""
    question = answer.question
    score = answer.content_score
    if score is None:
        return FollowUpDecision("next", "the answer has no content score")
    if question.source == "follow_up" or question.parent_id is not None:
        return FollowUpDecision("next", "no follow-up on a follow-up")
    if question.follow_ups.exists():
        return FollowUpDecision("next", "this question already had its follow-up")
    used = question.session.questions.filter(source="follow_up", topic_id=question.topic_id).count()
    if used >= FOLLOW_UP_CAP_PER_TOPIC:
        return FollowUpDecision("next", f"{used} follow-ups on this topic already")

    bank = question.bank_question
    wrong = answer_is_wrong(answer)
    contradicted = _core_contradiction(answer) or next(
        (c for c in getattr(answer, "key_points_contradicted", None) or [] if _point_text(c)), None)
    if contradicted is not None:
        point = _point_text(contradicted)
        text = _bank_probe_for(point, question) or (
            f"Let's check one point again. {point.rstrip('. ')}: is that right, and why does it matter?")
        return FollowUpDecision("correct", f"contradicted key point: {point}", _fields(
            question, text=text, reference_answer=question.reference_answer, key_points=[point], hint=question.hint,
            rationale=f"follow-up on a contradicted key point: {point}"))
    missed = [_point_text(m) for m in (answer.key_points_missed or []) if _point_text(m)]
    if score < WEAK_SCORE:
        easier = _bank_neighbour(question, harder=False)
        if easier is not None:
            return FollowUpDecision("simpler", f"a weak answer ({score:.0f}): an easier question on the same "
                                    "subtopic", _from_bank(question, easier, rationale="easier follow-up"))
    if missed and score < STRONG_SCORE:
        point = missed[0]
        bank_text = _bank_follow_up_for(point, list(bank.follow_ups)) if bank is not None else None
        text = bank_text or _probe_text(point)
        return FollowUpDecision("follow_up", f"missed key point: {point}", _fields(
            question, text=text, reference_answer=question.reference_answer, key_points=[point],
            hint=question.hint, rationale=f"follow-up on a missed key point: {point}"))
    if wrong:
        # A wrong answer never moves the candidate to a harder question (rule 2).
        return FollowUpDecision("next", f"no harder question: {wrong}")
    if score >= STRONG_SCORE and question.difficulty < 3:
        harder = _bank_neighbour(question, harder=True)
        if harder is not None:
            return FollowUpDecision("deeper", f"a strong answer ({score:.0f}): a harder question on the same "
                                    "subtopic", _from_bank(question, harder, rationale="deeper follow-up"))
        if bank is not None and bank.follow_ups:
            return FollowUpDecision("deeper", f"a strong answer ({score:.0f}): the bank's follow-up", _fields(
                question, text=bank.follow_ups[0], reference_answer=question.reference_answer,
                rationale="deeper follow-up from the bank"))
    return FollowUpDecision("next", "move on to the next question")
