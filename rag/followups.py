"""Adaptive follow-ups: after each scored answer, what an interviewer asks next. Deterministic and offline (MiniLM,
loaded lazily, is the only model). Full rule and figures: docs/followups.md.

The one promise behind every rule: a follow-up never gives the answer away. No asked question, reason or rationale
contains a key point's text or most of its words (`gives_away`: the point's normalised text, or LEAK_SHARE of its
content words); the candidate sees the reason in the room, so it names a point by its number, never by its text.

The rule (checked in this order; the first that applies wins):

1. Gates -> "next": no content score yet; the question is itself a follow-up; it already had its follow-up (at most
   one per question, across re-answers); its topic already had FOLLOW_UP_CAP_PER_TOPIC follow-ups in this
   interview; the interview already had FOLLOW_UP_CAP_PER_INTERVIEW.
2. Behavioral and career questions (and resume projects, judged by the same rubric) are probed on the same story,
   never moved to another question (that is how a "perfectionist" weakness was once followed by "What is your
   greatest strength?"). From what is missing, first match:
   - a strength offered as the weakness (red flag `disguised_strength`, rag/weakness.py) -> WEAKNESS_PROBE;
   - a story off the question (a failing red flag) -> "next";
   - blame, or only "we" -> OWN_PART_PROBE; no result -> OUTCOME_PROBE; no specific event -> SPECIFIC_PROBE;
   - a contradicted, then (score < STRONG_SCORE) a missed rubric point, by its kind (rag.behavioral.rubric_kinds):
     own part / action / ownership -> OWN_PART_PROBE, result or number -> OUTCOME_PROBE, reflection ->
     DIFFERENTLY_PROBE, situation -> SITUATION_PROBE, a point of its own kind -> the bank's material (below);
   - a strong answer -> the bank's first follow-up ("deeper"); else "next".
3. Technical, a contradicted point (a core one first) -> "correct": a probe that lets the candidate correct it
   without being told: the bank's probe for that point, else the candidate's own claim quoted back, else a
   generic check that names only the subtopic. Same difficulty, never harder.
4. Technical, weak (score < WEAK_SCORE): an easier unasked bank question of the same subtopic -> "simpler".
5. Technical, a missed key point and score < STRONG_SCORE (the bank lists key points by importance, the first
   missed one is probed) -> "follow_up", from the bank's material in this order: its own follow-up that fits the
   point (`bank_follow_up_fit`: the point is the follow-up's nearest key point in meaning, FIT_MARGIN ahead of
   the next), else its per-key-point probe, else GENERIC_PROBE naming only the subtopic.
6. A wrong answer (a contradicted core point, a failing red flag, a score under PASS_SCORE) never goes harder
   -> "next".
7. Strong (score >= STRONG_SCORE) below the top difficulty: a harder unasked bank question of the same subtopic,
   else the bank's first follow-up -> "deeper". Otherwise -> "next".

Every candidate text passes `gives_away` against all of the question's key points before it is asked; one that
fails is skipped for the next in its order. The inserted question is a `follow_up` with the answered question as
parent, placed right after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WEAK_SCORE = 35.0
PASS_SCORE = 50.0  # under it an answer is wrong, whatever it covered
STRONG_SCORE = 80.0
CORE_POINTS = 3    # the bank lists key points in order of importance: the first ones are the core of the answer
FOLLOW_UP_CAP_PER_TOPIC = 2
# A five-question interview with more than three follow-ups stops feeling like an interview and starts feeling like
# an exam on the first topics; the per-topic cap alone allowed two per topic, so up to ten.
FOLLOW_UP_CAP_PER_INTERVIEW = 3
# A bank follow-up fits a key point when that point is its nearest key point (MiniLM cosine) by at least this
# margin over the next. Tuned on the bank's own per-key-point probes as labelled pairs (a probe belongs to its
# point), bank files in even positions only: 0.10 keeps 47 % of them at precision 0.85; the odd files, held out,
# give 44 % at 0.82 (`manage.py followup_table --fit tuning|heldout`). A follow-up that does not fit leaves the
# point to the bank's probe, which always does.
FIT_MARGIN = 0.10
LEAK_SHARE = 0.6   # a text holding this share of a key point's content words gives the point away

WEAKNESS_PROBE = "Tell me about a weakness that actually cost you something."
OWN_PART_PROBE = "What was your part, specifically?"
OUTCOME_PROBE = "What was the outcome, and how did you measure it?"
DIFFERENTLY_PROBE = "What would you do differently?"
SPECIFIC_PROBE = "Can you walk me through one specific time that happened: when it was, and what you did?"
SITUATION_PROBE = "Set the scene for me: what was going on, and what was at stake?"
STORY_PROBE = "Tell me more about that: what did you do next?"
GENERIC_PROBE = "Let's stay with {subject} a moment. What else matters there that you have not mentioned yet?"
GENERIC_CHECK = ("I'd like to come back to one thing you said about {subject}. Is it right in every case? Take me "
                 "through it again.")
QUOTE_CHECK = "You said: \u201c{claim}\u201d. Is that right? Take me through it again."

_KIND_PROBE = {"task": OWN_PART_PROBE, "action": OWN_PART_PROBE, "ownership": OWN_PART_PROBE,
               "result": OUTCOME_PROBE, "number": OUTCOME_PROBE, "reflection": DIFFERENTLY_PROBE,
               "situation": SITUATION_PROBE}
_FLAG_PROBE = (("blame", OWN_PART_PROBE, "own_part"), ("we_only", OWN_PART_PROBE, "own_part"),
               ("no_result", OUTCOME_PROBE, "outcome"), ("vague", SPECIFIC_PROBE, "specific_example"))
_KIND_RULE = {OWN_PART_PROBE: "own_part", OUTCOME_PROBE: "outcome", DIFFERENTLY_PROBE: "differently",
              SITUATION_PROBE: "situation"}
_STOP_TEXT = ("a an the and or of to in on for with by is are be it its that this as at from can how what why when "
              "which you your do does did not was were has have had will would into than then them they their")
_STOP = frozenset(_STOP_TEXT.split())


@dataclass
class FollowUpDecision:
    action: str = "next"
    reason: str = ""
    question_fields: dict[str, Any] | None = None
    # Which branch of the rule chose the text (disguised_strength, own_part, bank_follow_up, bank_probe, ...).
    rule: str = ""
    # The key point probed, for tests and the table; never sent to the page (it would give the answer away).
    point: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason, "rule": self.rule,
                "question": (self.question_fields or {}).get("text")}


# --- never give the answer away ---------------------------------------------------------------------------------

def content_words(text: str) -> list[str]:
    """Lowercase content words, a plural "s" dropped ("tables" == "table")."""
    words = [w for w in re.findall(r"[a-z0-9+#]+", (text or "").lower()) if w not in _STOP and len(w) > 2]
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


def gives_away(text: str, point: str) -> bool:
    """The text states the point: its normalised words in order, or LEAK_SHARE of its content words."""
    point_words = content_words(point)
    if not point_words:
        return False
    text_words = content_words(text)
    if " ".join(point_words) in " ".join(text_words):
        return True
    return len(set(point_words) & set(text_words)) >= LEAK_SHARE * len(set(point_words))


def _safe(text: str | None, points: Sequence[str]) -> str | None:
    return text if text and not any(gives_away(text, p) for p in points) else None


# --- reading the answer -----------------------------------------------------------------------------------------

def _point_text(item: Any) -> str:
    return item.get("point", "") if isinstance(item, dict) else str(item)


def _points(question: Any) -> list[str]:
    return [str(p) for p in (question.key_points or [])]


def _ordinal(point: str, points: list[str]) -> str:
    return f"key point {points.index(point) + 1}" if point in points else "a key point"


def _core_contradiction(answer: Any) -> dict[str, Any] | None:
    """The first contradicted core point (by its position in the question's key points), if any."""
    points = _points(answer.question)
    for item in getattr(answer, "key_points_contradicted", None) or []:
        point = _point_text(item)
        index = points.index(point) if point in points else None
        if point and (index is None or index < CORE_POINTS):
            return item if isinstance(item, dict) else {"point": point}
    return None


def _flag_codes(answer: Any) -> dict[str, str]:
    return {f.get("code", ""): f.get("severity", "") for f in getattr(answer, "red_flags", None) or []
            if isinstance(f, dict)}


def answer_is_wrong(answer: Any) -> str:
    """Why the answer counts as wrong for the follow-up rule ("" when it does not). Names no key point's text."""
    contradicted = _core_contradiction(answer)
    if contradicted is not None:
        return f"it contradicted {_ordinal(_point_text(contradicted), _points(answer.question))}"
    failing = next((code for code, severity in _flag_codes(answer).items() if severity == "fail"), None)
    if failing is not None:
        return f"a failing red flag: {failing}"
    if answer.content_score is not None and answer.content_score < PASS_SCORE:
        return f"the score {answer.content_score:.0f} is under the pass mark {PASS_SCORE:.0f}"
    return ""


# --- the bank's material ----------------------------------------------------------------------------------------

def _bank_probe_for(point: str, question: Any) -> str | None:
    """The bank's probe for this key point (one per key point, same order)."""
    bank = question.bank_question
    if bank is None:
        return None
    points, probes = list(bank.key_points or []), list(getattr(bank, "probes", None) or [])
    if point in points and len(probes) == len(points):
        return probes[points.index(point)]
    return None


def bank_follow_up_fit(point: str, points: Sequence[str], follow_ups: Sequence[str]) -> str | None:
    """The bank follow-up that best fits `point`: of those whose nearest key point in meaning is `point`, by at
    least FIT_MARGIN over the next nearest, the nearest one; None when none fits."""
    import numpy as np

    from rag.embeddings import embed_cached

    points = list(points)
    if point not in points or not follow_ups or len(points) < 2:
        return None
    sims = embed_cached(list(follow_ups)) @ embed_cached(points).T
    j = points.index(point)
    fits = []
    for i, row in enumerate(sims):
        order = np.argsort(-row)
        if int(order[0]) == j and float(row[order[0]] - row[order[1]]) >= FIT_MARGIN:
            fits.append((float(row[j]), -i, follow_ups[i]))
    return max(fits)[2] if fits else None


def _subject(question: Any) -> str:
    named = question.subtopic or question.topic
    return named.name if named is not None else "this topic"


def _probe_for_point(question: Any, point: str) -> tuple[str, str]:
    """(text, rule) of a probe on a missed point: the bank's fitting follow-up, its probe, or the generic one."""
    points, bank = _points(question), question.bank_question
    fitted = bank_follow_up_fit(point, points, list(bank.follow_ups or [])) if bank is not None else None
    if _safe(fitted, points):
        return fitted, "bank_follow_up"
    probe = _bank_probe_for(point, question)
    if _safe(probe, points):
        return probe, "bank_probe"
    return GENERIC_PROBE.format(subject=_subject(question)), "generic_probe"


def _check_for_claim(question: Any, point: str, claim: str) -> tuple[str, str]:
    """(text, rule) of a probe on a contradicted point that lets the candidate correct it without being told."""
    points = _points(question)
    probe = _bank_probe_for(point, question)
    if _safe(probe, points):
        return probe, "bank_probe"
    words = claim.split()
    quoted = " ".join(words[:30]).rstrip(".,;:") + ("..." if len(words) > 30 else "")
    if quoted and _safe(quoted, points):
        return QUOTE_CHECK.format(claim=quoted), "quote_check"
    return GENERIC_CHECK.format(subject=_subject(question)), "generic_check"


# --- building the decision --------------------------------------------------------------------------------------

def _fields(question: Any, *, text: str, difficulty: int | None = None, bank_question: Any = None,
            reference_answer: str = "", key_points: list[str] | None = None, hint: str = "",
            rationale: str) -> dict[str, Any]:
    return {"text": text, "topic": question.topic, "subtopic": question.subtopic,
            "difficulty": difficulty or question.difficulty, "source": "follow_up", "parent": question,
            "bank_question": bank_question, "reference_answer": reference_answer,
            "key_points": list(key_points or []), "hint": hint, "rationale": rationale[:300]}


def _probe(question: Any, *, action: str, text: str, rule: str, reason: str, points: list[str],
           point: str = "") -> FollowUpDecision:
    return FollowUpDecision(action, reason, _fields(
        question, text=text, reference_answer=question.reference_answer, key_points=points, hint=question.hint,
        rationale=f"follow-up: {reason}"), rule=rule, point=point)


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


def _from_bank(question: Any, bank: Any, *, action: str, reason: str, rule: str) -> FollowUpDecision | None:
    if not _safe(bank.text, _points(question)):
        return None
    return FollowUpDecision(action, reason, _fields(
        question, text=bank.text, difficulty=bank.difficulty, bank_question=bank,
        reference_answer=bank.reference_answer, key_points=list(bank.key_points), hint=bank.hint,
        rationale=f"{action} follow-up: {reason}"), rule=rule)


def _gate(answer: Any) -> str:
    """Why no follow-up may be asked at all ("" when one may)."""
    question = answer.question
    if answer.content_score is None:
        return "the answer has no content score"
    if question.source == "follow_up" or question.parent_id is not None:
        return "no follow-up on a follow-up"
    if question.follow_ups.exists():
        return "this question already had its follow-up"
    asked = question.session.questions.filter(source="follow_up")
    on_topic = asked.filter(topic_id=question.topic_id).count()
    if on_topic >= FOLLOW_UP_CAP_PER_TOPIC:
        return f"{on_topic} follow-ups on this topic already"
    if asked.count() >= FOLLOW_UP_CAP_PER_INTERVIEW:
        return f"{asked.count()} follow-ups in this interview already"
    return ""


def _is_behavioral(question: Any) -> bool:
    # The same test the scorer uses to judge by the rubric (rag.services.answer_score_content).
    return (question.topic is not None and question.topic.kind == "behavioral") or question.source == "resume"


def _behavioral(answer: Any) -> FollowUpDecision:
    """Probe the same story on what it lacks, never the rubric's text, never another question."""
    from rag.behavioral import rubric_kinds

    question, score = answer.question, answer.content_score
    points, flags = _points(question), _flag_codes(answer)
    if "disguised_strength" in flags:
        return _probe(question, action="follow_up", text=WEAKNESS_PROBE, rule="disguised_strength",
                      reason="a strength offered as the weakness: asking for a real one", points=points)
    failing = next((code for code, severity in flags.items() if severity == "fail"), None)
    if failing is not None:
        return FollowUpDecision("next", f"no follow-up on a story off the question ({failing})", rule="wrong")
    kinds = dict(zip(points, rubric_kinds(points), strict=True)) if points else {}
    for code, text, rule in _FLAG_PROBE:
        if code in flags:
            about = [p for p in points if _KIND_PROBE.get(kinds.get(p, "")) == text] or points
            return _probe(question, action="follow_up", text=text, rule=rule,
                          reason=f"the story's red flag {code}", points=about)
    contradicted = [_point_text(c) for c in getattr(answer, "key_points_contradicted", None) or [] if _point_text(c)]
    missed = [_point_text(m) for m in answer.key_points_missed or [] if _point_text(m)]
    for verdict, chosen in (("contradicted", contradicted), ("missed", missed if score < STRONG_SCORE else [])):
        for point in chosen:
            text = _KIND_PROBE.get(kinds.get(point, ""))
            rule = _KIND_RULE.get(text or "", "")
            if text is None:
                text, rule = _probe_for_point(question, point)
                text, rule = (text, rule) if rule != "generic_probe" else (STORY_PROBE, "story_probe")
            if _safe(text, points):
                return _probe(question, action="correct" if verdict == "contradicted" else "follow_up", text=text,
                              rule=rule, reason=f"{_ordinal(point, points)} {verdict}", points=[point],
                              point=point)
    bank = question.bank_question
    if score >= STRONG_SCORE and not answer_is_wrong(answer) and bank is not None:
        text = next((f for f in bank.follow_ups or [] if _safe(f, points)), None)
        if text:
            return _probe(question, action="deeper", text=text, rule="bank_follow_up",
                          reason=f"a strong answer ({score:.0f}): the bank's follow-up", points=[])
    return FollowUpDecision("next", "move on to the next question")


def _technical(answer: Any) -> FollowUpDecision:
    question, score, bank = answer.question, answer.content_score, answer.question.bank_question
    points = _points(question)
    wrong = answer_is_wrong(answer)
    contradicted = _core_contradiction(answer) or next(
        (c for c in getattr(answer, "key_points_contradicted", None) or [] if _point_text(c)), None)
    if contradicted is not None:
        point = _point_text(contradicted)
        claim = contradicted.get("sentence", "") if isinstance(contradicted, dict) else ""
        text, rule = _check_for_claim(question, point, claim)
        return _probe(question, action="correct", text=text, rule=rule,
                      reason=f"{_ordinal(point, points)} contradicted: a chance to correct it", points=[point],
                      point=point)
    if score < WEAK_SCORE:
        easier = _bank_neighbour(question, harder=False)
        decision = easier and _from_bank(question, easier, action="simpler", rule="easier_question",
                                         reason=f"a weak answer ({score:.0f}): an easier question on the same "
                                                "subtopic")
        if decision:
            return decision
    missed = [_point_text(m) for m in (answer.key_points_missed or []) if _point_text(m)]
    if missed and score < STRONG_SCORE:
        point = missed[0]
        text, rule = _probe_for_point(question, point)
        return _probe(question, action="follow_up", text=text, rule=rule,
                      reason=f"{_ordinal(point, points)} missed", points=[point], point=point)
    if wrong:
        return FollowUpDecision("next", f"no harder question: {wrong}", rule="wrong")
    if score >= STRONG_SCORE and question.difficulty < 3:
        harder = _bank_neighbour(question, harder=True)
        decision = harder and _from_bank(question, harder, action="deeper", rule="harder_question",
                                         reason=f"a strong answer ({score:.0f}): a harder question on the same "
                                                "subtopic")
        if decision:
            return decision
        text = next((f for f in (bank.follow_ups if bank is not None else []) or [] if _safe(f, points)), None)
        if text:
            return _probe(question, action="deeper", text=text, rule="bank_follow_up",
                          reason=f"a strong answer ({score:.0f}): the bank's follow-up", points=[])
    return FollowUpDecision("next", "move on to the next question")


def followup_decide(*, answer: Any) -> FollowUpDecision:
    """What follows this scored answer (see the module docstring for the rule)."""
    gate = _gate(answer)
    if gate:
        return FollowUpDecision("next", gate, rule="gate")
    return _behavioral(answer) if _is_behavioral(answer.question) else _technical(answer)
