"""Choosing the questions of an interview (offline, from the bank and the candidate's own resume).

Candidates: active bank questions of the chosen topics (or, without topics, of the mode's kind: technical,
behavioral, both for mixed and resume-based), at the chosen difficulty (0 = any). Each gets a priority:

    priority = RELEVANCE * relevance to the resume + job description (FAISS over the bank, 0-1)
             + MASTERY * need from mastery (due for review 1.0; otherwise weaker rating -> higher, 0-1)
             - RECENT * asked to this candidate recently (last RECENT_DAYS days)
             + a small seeded jitter (varied interviews, reproducible for one user and interview number)

then a greedy pick that discounts subtopics and topics already picked, so one interview spreads over the material.
With Gemini configured, rag/generation.py may replace the plan with generated questions (validated, deduplicated
against the bank and the plan; the offline plan on any failure).
Mixed interviews take about a third behavioral questions. Resume-based interviews ask first about the candidate's
own projects (from the parsed resume), then bank questions nearest to the resume.

Need comes from the candidate's SubtopicMastery rows: 1.0 for a subtopic whose review date has passed, otherwise
the weakness of its rating. What was asked before comes from the interviews app as an `AskedHistory` (this app sits
below it and does not read interviews).

Behavioral and mixed interviews never draw questions tagged `logistics` (salary, notice period, relocation): they
are questions a candidate answers with facts, not answers to practise and score.

Each mode draws only its kinds of topic (MODE_KINDS), whatever topics are passed: a technical interview never asks a
behavioral or career question. With difficulty 0 (adaptive) the plan starts moderate: questions away from
DIFFICULTY_START cost DIFFICULTY_PENALTY per level, and after each scored answer `difficulty_next` moves the target
(a strong answer with nothing contradicted: one up; a weak or contradicted one: one down; a wrong answer never
raises it) and `question_replacement` swaps the next unasked bank question for one at the target. No two questions
of one interview are near-duplicates (cosine of their texts >= NEAR_DUPLICATE). Each plan says why it was chosen
(`rationale`: weak subtopic, due for review, from your resume, from the job).
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from mastery.models import Subtopic, SubtopicMastery, Topic

log = logging.getLogger(__name__)

RELEVANCE = 1.0
MASTERY = 0.8
RECENT = 2.0
JITTER = 0.3
SAME_SUBTOPIC_PENALTY = 0.6
SAME_TOPIC_PENALTY = 0.15
RECENT_DAYS = 30
LOGISTICS_TAG = "logistics"
MODE_KINDS = {"technical": ("technical",), "behavioral": ("behavioral",), "mixed": ("technical", "behavioral"),
              "resume": ("technical", "behavioral")}
DIFFICULTY_START = 2
DIFFICULTY_PENALTY = 0.5
NEAR_DUPLICATE = 0.78  # cosine of two question texts at or above which they ask the same thing (docs/tutor.md)
RAISE_AT = 75          # content score at or above which (nothing contradicted) the next question is one level harder
LOWER_BELOW = 45       # content score below which the next question is one level easier
BEHAVIORAL_SHARE = 1 / 3
RESUME_PROJECT_SHARE = 0.6

PROJECT_KEY_POINTS = [
    "The answer states the problem the project solved and who it was for.",
    "The candidate explains their own role and decisions, not only the team's.",
    "The answer names the main technical choices and why they were made.",
    "The answer gives a measurable result or outcome of the project.",
    "The candidate reflects on a trade-off or what they would do differently.",
]
SKILL_KEY_POINTS = [
    "The answer describes a concrete piece of work done with this skill.",
    "The candidate explains a technical decision they made and its reasons.",
    "The answer mentions a difficulty or limitation met and how it was handled.",
    "The answer gives a measurable result or outcome.",
]


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


def _bank_plan(q: Any, rationale: str) -> QuestionPlan:
    return QuestionPlan(text=q.text, topic=q.topic, subtopic=q.subtopic, difficulty=q.difficulty, source="bank",
                        bank_question=q, reference_answer=q.reference_answer, key_points=list(q.key_points),
                        hint=q.hint, rationale=rationale)


@dataclass(frozen=True)
class AskedHistory:
    """The candidate's past questions, as the interviews app reads them (sessions.selectors.asked_history)."""

    recent_bank_ids: frozenset[int] = frozenset()  # bank questions asked in the last RECENT_DAYS days
    interview_number: int = 0                       # how many interviews the candidate has: seeds the jitter


def mastery_need(*, user: Any) -> dict[int, float]:
    """Subtopic id -> need in [0, 1]: due for review (its review date has passed) 1.0, otherwise higher for weaker
    ratings. A strong subtopic whose review is weeks away has little need, however often it was practised."""
    now = timezone.now()
    need: dict[int, float] = {}
    for row in SubtopicMastery.objects.filter(user=user).only("subtopic_id", "rating", "next_review_at"):
        due = row.next_review_at is not None and row.next_review_at <= now
        weak = 1.0 / (1.0 + math.exp(row.rating))  # rating on the logit scale: 0 -> 0.5, -2 -> 0.88, +2 -> 0.12
        need[row.subtopic_id] = 1.0 if due else weak
    return need


def relevance_queries(*, resume: Any = None, job_description: Any = None) -> list[str]:
    """What the candidate is preparing for, as short texts to search the bank with."""
    queries: list[str] = []
    if job_description is not None:
        parsed = job_description.parsed or {}
        queries += list(parsed.get("requirements") or [])[:12]
        skills = list(parsed.get("required_skills") or [])
        if skills:
            queries.append("Interview questions about " + ", ".join(skills[:10]))
        if not queries:
            queries.append(job_description.text[:1000])
    if resume is not None and resume.parsed:
        parsed = resume.parsed
        queries += [p["description"][:300] for p in parsed.get("projects", [])[:6] if p.get("description")]
        if parsed.get("skills"):
            queries.append("Interview questions about " + ", ".join(parsed["skills"][:12]))
    return [q for q in queries if q.strip()]


def bank_relevance(*, queries: list[str], candidate_ext_ids: set[str]) -> dict[str, float]:
    """ext_id -> best cosine between any query and the question's text, reference answer or key points."""
    if not queries or not candidate_ext_ids:
        return {}
    from rag.embeddings import embed
    from rag.index import bank_search

    scores: dict[str, float] = {}
    for row in bank_search(query_vectors=embed(queries), k=30, active_ids=candidate_ext_ids):
        for entry, score in row:
            scores[entry.ext_id] = max(scores.get(entry.ext_id, 0.0), score)
    return scores


def question_vectors(ext_ids: list[str]) -> dict[str, Any]:
    """ext_id -> the bank index's vector of the question's text (empty when the index cannot be read)."""
    from rag.index import BankEntry, bank_index

    try:
        index = bank_index()
    except Exception:  # noqa: BLE001 - deduplication is a refinement; the interview still starts
        log.exception("bank index unavailable; choosing without near-duplicate checks")
        return {}
    keys = set(index.keys)
    return {e: index.vector(BankEntry(e, "q").key) for e in ext_ids if BankEntry(e, "q").key in keys}


def near_duplicate(ext_id: str, others: list[str], vectors: dict[str, Any]) -> bool:
    """Whether question `ext_id` asks the same thing as one of `others` (by their text vectors)."""
    mine = vectors.get(ext_id)
    return mine is not None and any(
        o != ext_id and o in vectors and float(mine @ vectors[o]) >= NEAR_DUPLICATE for o in others)


def _pick(rows: list[Any], priority: dict[int, float], count: int, reasons: dict[int, str],
          taken: list[Any], vectors: dict[str, Any] | None = None) -> list[Any]:
    """Greedy pick by priority, discounting subtopics and topics already taken (including `taken`), never a
    near-duplicate of a question already picked."""
    chosen: list[Any] = []
    remaining = list(rows)
    while remaining and len(chosen) < count:
        picked_ids = [p.ext_id for p in taken + chosen]
        remaining = [q for q in remaining if not near_duplicate(q.ext_id, picked_ids, vectors or {})]
        if not remaining:
            break
        def adjusted(q: Any) -> float:
            picked = taken + chosen
            return (priority[q.pk] - SAME_SUBTOPIC_PENALTY * sum(p.subtopic_id == q.subtopic_id for p in picked)
                    - SAME_TOPIC_PENALTY * sum(p.topic_id == q.topic_id for p in picked))

        best = max(remaining, key=lambda q: (adjusted(q), -q.pk))
        chosen.append(best)
        remaining.remove(best)
    return chosen


def _resume_plans(*, resume: Any, count: int, fallback_topic: Topic | None) -> list[QuestionPlan]:
    """Questions about the candidate's own projects (or, without projects, their listed skills)."""
    parsed = resume.parsed or {}
    items: list[tuple[str, str, list[str], str]] = []
    for project in parsed.get("projects", []):
        name = project.get("name") or "this project"
        items.append((f"Your resume mentions {name}. Walk me through it: what problem did it solve, what was your "
                      "own part, which technical decisions did you make and why, and how did it turn out?",
                      project.get("description", name), PROJECT_KEY_POINTS, f"from your resume: {name}"))
    for skill in parsed.get("skills", []):
        items.append((f"You list {skill} on your resume. Tell me about the most demanding thing you built with it "
                      "and a decision you made along the way.", skill, SKILL_KEY_POINTS,
                      f"from your resume's skills: {skill}"))
    plans: list[QuestionPlan] = []
    for text, about, key_points, rationale in items[:count]:
        topic, subtopic = _nearest_topic(about, fallback_topic)
        if topic is None:
            break
        plans.append(QuestionPlan(text=text, topic=topic, subtopic=subtopic, difficulty=2, source="resume",
                                  key_points=list(key_points), rationale=rationale,
                                  hint="Use one concrete example: the problem, your part, the result."))
    return plans


def _nearest_topic(text: str, fallback: Topic | None) -> tuple[Topic | None, Subtopic | None]:
    """The topic and subtopic of the bank question nearest to `text` (what a resume question is about)."""
    from rag.models import BankQuestion

    try:
        from rag.selectors import bank_nearest

        nearest = bank_nearest(text=text, k=1, fields=("q", "ref", "kp"))
    except Exception:  # noqa: BLE001 - no index or no model: file the question under the fallback topic
        log.exception("could not place a resume question by retrieval")
        nearest = []
    if nearest:
        q = nearest[0][0]
        return q.topic, q.subtopic
    if fallback is not None:
        return fallback, None
    q = BankQuestion.objects.select_related("topic").first()
    return (q.topic, None) if q else (None, None)


def _reason(q: Any, *, need: float, job_rel: float, resume_rel: float) -> str:
    """Why a bank question is in the plan, in the candidate's terms (shown in the room)."""
    why = []
    if need >= 0.99:
        why.append(f"due for review: {q.subtopic.name}")
    elif need >= 0.6:
        why.append(f"weak subtopic: {q.subtopic.name}")
    if job_rel >= 0.8:
        why.append("from the job you are preparing for")
    elif resume_rel >= 0.8:
        why.append("from your resume")
    return "; ".join(why) or f"new practice: {q.subtopic.name}"


def difficulty_next(*, current: int, content_score: float | None, contradicted: int) -> int:
    """The next question's difficulty after an answer: one up after a strong answer that contradicted nothing, one
    down after a weak or contradicted one, else the same. A wrong answer never raises it."""
    if content_score is None:
        return current
    if contradicted or content_score < LOWER_BELOW:
        return max(1, current - 1)
    if content_score >= RAISE_AT:
        return min(3, current + 1)
    return current


def question_replacement(*, user: Any, mode: str, topics: list[Topic], replacing: Any, target: int,
                         interview_ext_ids: list[str], history: AskedHistory) -> QuestionPlan | None:
    """A bank question at difficulty `target` to ask instead of `replacing` (an unasked bank question whose
    difficulty is not the target): same subtopic first, then same topic, then any of the mode's topics; never one of
    the interview's questions or a near-duplicate of one, never one asked recently. None when nothing fits."""
    from rag.models import BankQuestion

    qs = (BankQuestion.objects.filter(is_active=True, difficulty=target, topic__kind__in=MODE_KINDS.get(mode, ()))
          .exclude(ext_id__in=interview_ext_ids).exclude(pk__in=history.recent_bank_ids)
          .select_related("topic", "subtopic"))
    if topics:
        qs = qs.filter(topic__in=topics)
    rows = [q for q in qs.order_by("ext_id") if LOGISTICS_TAG not in (q.tags or [])]
    vectors = question_vectors([q.ext_id for q in rows] + list(interview_ext_ids))
    rows = [q for q in rows if not near_duplicate(q.ext_id, list(interview_ext_ids), vectors)]
    if not rows:
        return None
    need = mastery_need(user=user)
    best = max(rows, key=lambda q: (q.subtopic_id == replacing.subtopic_id, q.topic_id == replacing.topic_id,
                                    need.get(q.subtopic_id, 0.0), -q.pk))
    direction = "harder" if target > replacing.difficulty else "easier"
    reason = _reason(best, need=need.get(best.subtopic_id, 0.0), job_rel=0.0, resume_rel=0.0)
    return _bank_plan(best, f"{direction} after your last answer; {reason}")


def questions_from_bank(*, ext_ids: list[str], reasons: dict[str, str] | None = None) -> list[QuestionPlan]:
    """Plans for the given active bank questions, in the given order, without near-duplicates (the job-fit page's
    one-click interview: its preparation list)."""
    from rag.models import BankQuestion

    rows = BankQuestion.objects.filter(is_active=True, ext_id__in=ext_ids).select_related("topic", "subtopic")
    by_id = {q.ext_id: q for q in rows}
    vectors = question_vectors(list(by_id))
    plans: list[QuestionPlan] = []
    for ext_id in dict.fromkeys(ext_ids):
        q = by_id.get(ext_id)
        if q is not None and not near_duplicate(ext_id, [p.bank_question.ext_id for p in plans], vectors):
            plans.append(_bank_plan(q, (reasons or {}).get(ext_id, "from the job you are preparing for")))
    return plans


def questions_choose(*, user: Any, mode: str, topics: list[Topic], difficulty: int, count: int,
                     history: AskedHistory, resume: Any = None,
                     job_description: Any = None) -> tuple[list[QuestionPlan], str]:
    from rag.models import BankQuestion

    qs = BankQuestion.objects.filter(is_active=True, topic__kind__in=MODE_KINDS.get(mode, ("technical",)))
    qs = qs.select_related("topic", "subtopic")
    if topics:
        qs = qs.filter(topic__in=topics)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    rows = list(qs.order_by("ext_id"))
    if mode in ("behavioral", "mixed"):
        # In Python: SQLite has no JSON `contains` lookup.
        rows = [q for q in rows if LOGISTICS_TAG not in (q.tags or [])]

    # Reproducible for (user, interview number), different from one interview to the next.
    rng = random.Random(f"{user.pk}:{history.interview_number}")
    recent = history.recent_bank_ids
    need = mastery_need(user=user)
    # Relevance to the job and to the resume separately, so the reason can say which one a question serves.
    relevance: dict[str, dict[str, float]] = {"job": {}, "resume": {}}
    for source, queries in (("job", relevance_queries(job_description=job_description)),
                            ("resume", relevance_queries(resume=resume))):
        if queries and rows:
            try:
                relevance[source] = bank_relevance(queries=queries, candidate_ext_ids={q.ext_id for q in rows})
            except Exception:  # noqa: BLE001 - ranking by relevance is a refinement; the interview still starts
                log.exception("bank relevance failed; choosing without it")
    top = max([v for found in relevance.values() for v in found.values()], default=0.0)
    priority: dict[int, float] = {}
    reasons: dict[int, str] = {}
    for q in rows:
        job_rel, resume_rel = (relevance[s].get(q.ext_id, 0.0) / top if top > 0 else 0.0 for s in ("job", "resume"))
        rel = max(job_rel, resume_rel)
        off_level = abs(q.difficulty - DIFFICULTY_START) if not difficulty else 0
        priority[q.pk] = (RELEVANCE * rel + MASTERY * need.get(q.subtopic_id, 0.0)
                          - RECENT * (q.pk in recent) - DIFFICULTY_PENALTY * off_level + JITTER * rng.random())
        reasons[q.pk] = _reason(q, need=need.get(q.subtopic_id, 0.0), job_rel=job_rel, resume_rel=resume_rel)

    vectors = question_vectors([q.ext_id for q in rows])
    plans: list[QuestionPlan] = []
    if mode == "resume" and resume is not None:
        fallback = topics[0] if topics else None
        plans = _resume_plans(resume=resume, count=max(1, round(count * RESUME_PROJECT_SHARE)),
                              fallback_topic=fallback)
    remaining = count - len(plans)
    if mode == "mixed" and not topics:
        behavioral = [q for q in rows if q.topic.kind == "behavioral"]
        technical = [q for q in rows if q.topic.kind != "behavioral"]
        n_behavioral = min(len(behavioral), max(1, round(remaining * BEHAVIORAL_SHARE))) if technical else remaining
        picked = _pick(behavioral, priority, n_behavioral, reasons, [], vectors)
        picked += _pick(technical, priority, remaining - len(picked), reasons, picked, vectors)
        # Interleave so the interview alternates rather than ending with all behavioral questions.
        order = [q for q in picked if q.topic.kind != "behavioral"]
        for i, q in enumerate(q for q in picked if q.topic.kind == "behavioral"):
            order.insert(min(len(order), 1 + i * 3), q)
        picked = order
    else:
        picked = _pick(rows, priority, remaining, reasons, [], vectors)
    plans += [_bank_plan(q, reasons[q.pk]) for q in picked]
    from rag.generation import questions_generate

    # With Gemini configured, generated questions grounded in the same context replace the bank's; any failure
    # returns this offline plan.
    return questions_generate(mode=mode, topics=topics, difficulty=difficulty, count=count, resume=resume,
                              job_description=job_description, offline=plans[:count])
