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

Mastery comes from `mastery.selectors.subtopics_due_for(user=...)` when that exists (subtopics due first); until
then, and whenever it fails, from the SubtopicMastery rows directly.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from mastery.models import Subtopic, Topic

log = logging.getLogger(__name__)

RELEVANCE = 1.0
MASTERY = 0.8
RECENT = 2.0
JITTER = 0.3
SAME_SUBTOPIC_PENALTY = 0.6
SAME_TOPIC_PENALTY = 0.15
RECENT_DAYS = 30
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


def recently_asked(*, user: Any, days: int = RECENT_DAYS) -> set[int]:
    """Bank question ids asked to `user` in the last `days` days."""
    from sessions.models import SessionQuestion

    since = timezone.now() - timedelta(days=days)
    return set(SessionQuestion.objects.filter(session__owner=user, session__created_at__gte=since,
                                              bank_question__isnull=False)
               .values_list("bank_question_id", flat=True))


def mastery_need(*, user: Any) -> dict[int, float]:
    """Subtopic id -> need in [0, 1]: due for review 1.0, otherwise higher for weaker ratings."""
    need: dict[int, float] = {}
    try:
        from mastery.selectors import subtopics_due_for

        for item in subtopics_due_for(user=user):
            subtopic_id = getattr(item, "subtopic_id", None) or getattr(item, "pk", None)
            if isinstance(item, dict):
                subtopic_id = item.get("subtopic_id") or item.get("id")
            if subtopic_id:
                need[int(subtopic_id)] = 1.0
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - mastery is advice for ranking, never a reason to fail an interview
        log.exception("mastery.selectors.subtopics_due_for failed; ranking from SubtopicMastery rows")
    from mastery.models import SubtopicMastery

    now = timezone.now()
    for row in SubtopicMastery.objects.filter(user=user).only("subtopic_id", "rating", "next_review_at"):
        due = row.next_review_at is not None and row.next_review_at <= now
        weak = 1.0 / (1.0 + math.exp(row.rating))  # rating on the logit scale: 0 -> 0.5, -2 -> 0.88, +2 -> 0.12
        need[row.subtopic_id] = max(need.get(row.subtopic_id, 0.0), 1.0 if due else weak)
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


def _pick(rows: list[Any], priority: dict[int, float], count: int, reasons: dict[int, str],
          taken: list[Any]) -> list[Any]:
    """Greedy pick by priority, discounting subtopics and topics already taken (including `taken`)."""
    chosen: list[Any] = []
    remaining = list(rows)
    while remaining and len(chosen) < count:
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


def questions_choose(*, user: Any, mode: str, topics: list[Topic], difficulty: int, count: int,
                     resume: Any = None, job_description: Any = None) -> tuple[list[QuestionPlan], str]:
    from rag.models import BankQuestion
    from sessions.models import InterviewSession

    qs = BankQuestion.objects.filter(is_active=True).select_related("topic", "subtopic")
    if topics:
        qs = qs.filter(topic__in=topics)
    elif mode == "behavioral":
        qs = qs.filter(topic__kind="behavioral")
    elif mode == "technical":
        qs = qs.filter(topic__kind="technical")
    else:
        qs = qs.filter(topic__kind__in=["technical", "behavioral"])
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    rows = list(qs.order_by("ext_id"))

    # Reproducible for (user, interview number), different from one interview to the next.
    rng = random.Random(f"{user.pk}:{InterviewSession.objects.filter(owner=user).count()}")
    recent = recently_asked(user=user)
    need = mastery_need(user=user)
    relevance: dict[str, float] = {}
    queries = relevance_queries(resume=resume, job_description=job_description)
    if queries and rows:
        try:
            relevance = bank_relevance(queries=queries, candidate_ext_ids={q.ext_id for q in rows})
        except Exception:  # noqa: BLE001 - ranking by relevance is a refinement; the interview still starts
            log.exception("bank relevance failed; choosing without it")
    top = max(relevance.values(), default=0.0)
    priority: dict[int, float] = {}
    reasons: dict[int, str] = {}
    for q in rows:
        rel = relevance.get(q.ext_id, 0.0) / top if top > 0 else 0.0
        priority[q.pk] = (RELEVANCE * rel + MASTERY * need.get(q.subtopic_id, 0.0)
                          - RECENT * (q.pk in recent) + JITTER * rng.random())
        why = []
        if rel >= 0.8:
            why.append("close to your resume and target job")
        if need.get(q.subtopic_id, 0.0) >= 0.99:
            why.append("due for review")
        elif need.get(q.subtopic_id, 0.0) >= 0.6:
            why.append("a weak area")
        reasons[q.pk] = "; ".join(why) or "from the question bank"

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
        picked = _pick(behavioral, priority, n_behavioral, reasons, [])
        picked += _pick(technical, priority, remaining - len(picked), reasons, picked)
        # Interleave so the interview alternates rather than ending with all behavioral questions.
        order = [q for q in picked if q.topic.kind != "behavioral"]
        for i, q in enumerate(q for q in picked if q.topic.kind == "behavioral"):
            order.insert(min(len(order), 1 + i * 3), q)
        picked = order
    else:
        picked = _pick(rows, priority, remaining, reasons, [])
    plans += [_bank_plan(q, reasons[q.pk]) for q in picked]
    from rag.generation import questions_generate

    # With Gemini configured, generated questions grounded in the same context replace the bank's; any failure
    # returns this offline plan.
    return questions_generate(mode=mode, topics=topics, difficulty=difficulty, count=count, resume=resume,
                              job_description=job_description, offline=plans[:count])
