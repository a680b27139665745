"""Writes of the mastery app: apply a scored answer, write the study plan, mark its items, reset.

The rule itself (numbers in, numbers out) is in mastery/rules.py; this module only loads, locks and saves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from mastery import rules
from mastery.models import (
    MasteryEvent,
    StudyItemKind,
    StudyPlan,
    StudyPlanItem,
    Subtopic,
    SubtopicMastery,
    Topic,
    TopicKind,
    TopicMastery,
)
from pipeline.records import answer_model

log = logging.getLogger(__name__)

DELIVERY_TOPIC_SLUG = "delivery"
GENERAL_SUBTOPIC_SLUG = "general"  # evidence on questions without a subtopic (generated, resume-based)

PLAN_MAX_WEAK = 3        # subtopics to study and practise
PLAN_MAX_DRILLS = 2      # delivery drills
PLAN_MAX_REVIEWS = 3     # spaced reviews
PLAN_REVIEW_HORIZON = timedelta(days=1)  # "due" for the plan: due now or within a day
RECENT_DELIVERY_ANSWERS = 8              # the candidate's own numbers come from this many recent spoken answers
DUE_IN_DAYS = {1: 2, 2: 4, 3: 7}         # priority -> days to do the item


# --- the catalogue of delivery skills ----------------------------------------------------------------------

def delivery_topic_ensure() -> tuple[Topic, dict[str, Subtopic]]:
    """The topic "delivery" and its skill subtopics, created on first use (idempotent, safe under races)."""
    topic = _get_or_create(Topic, slug=DELIVERY_TOPIC_SLUG,
                           defaults={"name": "Delivery", "kind": TopicKind.DELIVERY,
                                     "description": "How you speak: pace, filler words, pauses, pitch variation."})
    subtopics = {}
    for skill in rules.SKILLS.values():
        subtopics[skill.slug] = _get_or_create(
            Subtopic, topic=topic, slug=skill.slug,
            defaults={"name": skill.name, "description": f"{skill.label}: target {skill.describe()}."})
    return topic, subtopics


def _get_or_create(model: Any, defaults: dict[str, Any] | None = None, **lookup: Any) -> Any:
    try:
        with transaction.atomic():
            return model.objects.get_or_create(defaults=defaults, **lookup)[0]
    except IntegrityError:  # created by a concurrent task between the get and the insert
        return model.objects.get(**lookup)


# --- applying one answer -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observation:
    subtopic: Subtopic
    score: float  # 0-1
    difficulty: int


def _observations(answer: Any) -> list[Observation]:
    from mastery.selectors import answer_delivery_reading

    question = answer.question
    found: list[Observation] = []
    if answer.content_score is not None:
        subtopic = question.subtopic or _get_or_create(
            Subtopic, topic=question.topic, slug=GENERAL_SUBTOPIC_SLUG,
            defaults={"name": "General", "description": f"Questions on {question.topic.name} beyond the bank."})
        contradicted = len(getattr(answer, "key_points_contradicted", None) or [])
        score = rules.content_evidence(score=float(answer.content_score) / 100.0, contradicted=contradicted,
                                       points=len(question.key_points or []))
        found.append(Observation(subtopic, score, question.difficulty))
    skill_scores = answer_delivery_reading(answer).scores
    if skill_scores:
        _, skills = delivery_topic_ensure()
        found.extend(Observation(skills[slug], score, 2) for slug, score in skill_scores.items())
    return found


def _estimate(row: SubtopicMastery | TopicMastery) -> rules.Estimate:
    return rules.Estimate(rating=row.rating, variance=row.variance, evidence_count=row.evidence_count)


def _days_between(earlier: datetime | None, later: datetime) -> float | None:
    if earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds() / 86400.0)


def _apply(*, user: User, observation: Observation, answer: Any, at: datetime) -> MasteryEvent:
    row, _ = SubtopicMastery.objects.select_for_update().get_or_create(user=user, subtopic=observation.subtopic)
    before = _estimate(row)
    after = rules.rating_update(before, score=observation.score, difficulty=observation.difficulty,
                                idle_days=_days_between(row.last_practiced_at, at))
    interval = rules.review_interval(previous_days=row.interval_days if row.evidence_count else None,
                                     score=observation.score, estimate=after)
    row.rating, row.variance, row.evidence_count = after.rating, after.variance, after.evidence_count
    row.last_score = round(observation.score, 4)
    row.last_practiced_at = max(row.last_practiced_at or at, at)
    row.interval_days = interval
    row.next_review_at = at + timedelta(days=interval)
    row.save()
    return MasteryEvent.objects.create(
        user=user, subtopic=observation.subtopic, answer=answer, score=round(observation.score, 4),
        difficulty=observation.difficulty, rating_before=before.rating, rating_after=after.rating,
        variance_after=after.variance, created_at=at)


def topic_mastery_refresh(*, user: User, topic: Topic) -> TopicMastery | None:
    """Recompute a topic's mastery from its practised subtopics (deleted when none is left)."""
    rows = SubtopicMastery.objects.filter(user=user, subtopic__topic=topic, evidence_count__gt=0)
    combined = rules.estimates_combine(_estimate(r) for r in rows)
    if combined.evidence_count == 0:
        TopicMastery.objects.filter(user=user, topic=topic).delete()
        return None
    row, _ = TopicMastery.objects.update_or_create(user=user, topic=topic, defaults={
        "rating": combined.rating, "variance": combined.variance, "evidence_count": combined.evidence_count})
    return row


def mastery_apply_answer(*, answer_id: int) -> list[MasteryEvent]:
    """Update mastery from one scored answer: its subtopic (and so its topic) and the delivery skills it measured.

    Idempotent: the answer row is locked, an answer already applied changes nothing, and each (answer, subtopic)
    event is unique in the database. Returns the events written (empty when there was nothing to do).
    """
    Answer = answer_model()

    with transaction.atomic():
        # of=("self",): lock only the answer row; PostgreSQL refuses FOR UPDATE on the outer join to a null subtopic.
        answer = (Answer.objects.select_for_update(of=("self",)).select_related("question", "question__topic",
                                                                     "question__subtopic", "user")
                  .filter(pk=answer_id).first())
        if answer is None:
            log.info("mastery: answer %s no longer exists", answer_id)
            return []
        if answer.mastery_applied_at is not None:
            return []
        at = answer.ended_at or answer.scored_at or timezone.now()
        done = set(MasteryEvent.objects.filter(answer=answer).values_list("subtopic_id", flat=True))
        events = [_apply(user=answer.user, observation=o, answer=answer, at=at)
                  for o in _observations(answer) if o.subtopic.pk not in done]
        for topic in {e.subtopic.topic for e in events}:
            topic_mastery_refresh(user=answer.user, topic=topic)
        if events or answer.content_score is not None:
            answer.mastery_applied_at = timezone.now()
            answer.save(update_fields=["mastery_applied_at"])
    return events


# --- reset ---------------------------------------------------------------------------------------------------

def mastery_reset(*, user: User, topic: Topic | None = None) -> int:
    """Forget the user's mastery (and its history) of one topic or of everything; the plan is rewritten.

    Returns how many subtopic estimates were removed. Old answers are not applied again (they stay marked).
    """
    with transaction.atomic():
        scope: dict[str, Any] = {"user": user}
        if topic is not None:
            scope["subtopic__topic"] = topic
        MasteryEvent.objects.filter(**scope).delete()
        removed, _ = SubtopicMastery.objects.filter(**scope).delete()
        topics = TopicMastery.objects.filter(user=user)
        (topics.filter(topic=topic) if topic is not None else topics).delete()
        study_plan_generate(user=user, force=True)
    return removed


# --- the study plan ------------------------------------------------------------------------------------------

@dataclass
class _Draft:
    kind: str
    title: str
    urgency: float
    detail: str = ""
    subtopic: Subtopic | None = None
    target: dict[str, Any] = field(default_factory=dict)
    question_count: int = 0
    due_date: date | None = None


def _now_estimate(row: SubtopicMastery, now: datetime) -> rules.Estimate:
    variance = rules.variance_after_idle(row.variance, _days_between(row.last_practiced_at, now))
    return rules.Estimate(rating=row.rating, variance=variance, evidence_count=row.evidence_count)


def _missed_points(*, user: User, subtopic: Subtopic, limit: int = 5) -> list[str]:
    """Key points the candidate missed in their latest answers on the subtopic, most recent first."""
    Answer = answer_model()

    seen: list[str] = []
    answers = (Answer.objects.filter(user=user, question__subtopic=subtopic, content_score__isnull=False)
               .order_by("-started_at").values_list("key_points_missed", flat=True)[:5])
    for missed in answers:
        for point in missed or []:
            text = point.get("text") or point.get("point") if isinstance(point, dict) else point
            if isinstance(text, str) and text.strip() and text.strip() not in seen:
                seen.append(text.strip())
    return seen[:limit]


def _wrong_points(*, user: User, subtopic: Subtopic, limit: int = 3) -> list[dict[str, str]]:
    """Key points the candidate stated wrongly in their latest answers on the subtopic, with the correction."""
    Answer = answer_model()

    seen: dict[str, dict[str, str]] = {}
    answers = (Answer.objects.filter(user=user, question__subtopic=subtopic, content_score__isnull=False)
               .order_by("-started_at").values_list("key_points_contradicted", flat=True)[:5])
    for wrong in answers:
        for item in wrong or []:
            point = str(item.get("point") or "").strip() if isinstance(item, dict) else ""
            if point and point not in seen:
                seen[point] = {"point": point, "correction": str(item.get("correction") or point)}
    return list(seen.values())[:limit]


def _weak_items(*, user: User, rows: list[tuple[SubtopicMastery, rules.Estimate]]) -> list[_Draft]:
    # A subtopic with a recent wrong statement is studied even before its rating falls under the weak line.
    wrong = {row.subtopic_id: _wrong_points(user=user, subtopic=row.subtopic) for row, _ in rows
             if row.last_score is not None and row.last_score <= rules.CONTRADICTED_CAP}
    weak = sorted((pair for pair in rows if pair[1].weak or wrong.get(pair[0].subtopic_id)),
                  key=lambda pair: (not wrong.get(pair[0].subtopic_id), pair[1].pessimistic_strength))
    drafts = []
    for row, est in weak[:PLAN_MAX_WEAK]:
        sub = row.subtopic
        missed = _missed_points(user=user, subtopic=sub)
        corrections = wrong.get(sub.pk) or []
        detail = (f"Your mastery of {sub.name} is {est.percent}% after {est.evidence_count} "
                  f"answer{'s' if est.evidence_count != 1 else ''}. Go through its reference answers and note the key "
                  "points a strong answer covers.")
        if corrections:
            detail += " Points you got wrong recently: " + "; ".join(
                f"{c['point']} (correct: {c['correction']})" if c["correction"] != c["point"] else c["point"]
                for c in corrections) + "."
        if missed:
            detail += " Points you missed recently: " + "; ".join(missed) + "."
        urgency = 2.0 - est.pessimistic_strength  # weak knowledge comes first: 1.4-2.0
        drafts.append(_Draft(StudyItemKind.STUDY, f"Study the key points of {sub.name} ({sub.topic.name})",
                             urgency, detail=detail, subtopic=sub,
                             target={"metric": "mastery_percent", "from": est.percent,
                                     "to": max(est.percent + 10, round(100 * rules.WEAK_STRENGTH))}))
        count = 3 if est.strength < 0.4 else 2
        drafts.append(_Draft(StudyItemKind.PRACTICE, f"Practise {count} questions on {sub.name}", urgency - 0.01,
                             detail=f"Answer {count} {sub.topic.name} questions on {sub.name} out loud, then compare "
                                    "each answer with its feedback.", subtopic=sub, question_count=count))
    return drafts


def _delivery_numbers(*, user: User, subtopic: Subtopic, skill: rules.Skill) -> list[float]:
    """The skill's metric in the candidate's latest answers that counted toward it (none before a reset)."""
    from mastery.selectors import answer_delivery_reading
    Answer = answer_model()

    answer_ids = list(MasteryEvent.objects.filter(user=user, subtopic=subtopic, answer__isnull=False)
                      .order_by("-created_at").values_list("answer_id", flat=True)[:RECENT_DELIVERY_ANSWERS])
    readings = (answer_delivery_reading(a).values for a in Answer.objects.filter(pk__in=answer_ids))
    return [values[skill.metric] for values in readings if skill.metric in values]


def _drill_items(*, user: User, rows: list[tuple[SubtopicMastery, rules.Estimate]]) -> list[_Draft]:
    drafts = []
    for row, est in rows:
        skill = rules.SKILLS.get(row.subtopic.slug)
        if skill is None:
            continue
        value = rules.typical(_delivery_numbers(user=user, subtopic=row.subtopic, skill=skill))
        if value is None or skill.contains(value):
            continue
        value = round(value, 1)
        goal = round(skill.next_target(value), 1)
        edge = skill.low if skill.low is not None and value < skill.low else skill.high
        off_by = abs(value - edge) / max(abs(edge), 1.0)  # relative distance outside the band
        detail = (f"Your typical {skill.label.lower()} is {value:g} {skill.unit}; the target is "
                  f"{skill.describe()}. Aim for {goal:g} {skill.unit} next. {skill.advice}")
        drafts.append(_Draft(StudyItemKind.DRILL, f"{skill.name} drill: from {value:g} to {goal:g} {skill.unit}",
                             0.6 + 0.4 * min(1.0, off_by) + 0.4 * (1.0 - est.strength), detail=detail,
                             subtopic=row.subtopic,
                             target={"metric": skill.metric, "from": value, "to": goal, "unit": skill.unit,
                                     "band": [skill.low, skill.high], "band_text": skill.describe()}))
    drafts.sort(key=lambda d: -d.urgency)
    return drafts[:PLAN_MAX_DRILLS]


def _review_items(*, rows: list[tuple[SubtopicMastery, rules.Estimate]], skip: set[int], now: datetime
                  ) -> list[_Draft]:
    due = []
    for row, est in rows:
        if row.subtopic_id in skip or row.next_review_at is None or row.next_review_at > now + PLAN_REVIEW_HORIZON:
            continue
        overdue = (now - row.next_review_at).total_seconds() / 86400.0
        urgency = 0.3 + 0.5 * rules.review_urgency(estimate=est, overdue_days=overdue, interval_days=row.interval_days)
        due.append(_Draft(StudyItemKind.REVIEW, f"Review {row.subtopic.name} ({row.subtopic.topic.name})", urgency,
                          detail=f"Due for spaced review: answer one question on {row.subtopic.name} without notes "
                                 f"(mastery {est.percent}%, last practised {_day(row.last_practiced_at)}).",
                          subtopic=row.subtopic, question_count=1,
                          due_date=max(timezone.localdate(now), timezone.localdate(row.next_review_at))))
    due.sort(key=lambda d: -d.urgency)
    return due[:PLAN_MAX_REVIEWS]


def _day(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day}"


def _priority(urgency: float) -> int:
    # Urgency scale: study/practice of weak subtopics 1.4-2.0, drills 0.6-1.4, reviews 0.3-1.3.
    return 1 if urgency >= 1.4 else 2 if urgency >= 0.9 else 3


def _summary(drafts: list[_Draft]) -> str:
    if not drafts:
        return ("Nothing urgent: no weak subtopics, no delivery metric outside its target band and no review due. "
                "Take another interview to keep your mastery fresh.")
    parts = []
    weak = [d.subtopic.name for d in drafts if d.kind == StudyItemKind.STUDY and d.subtopic]
    if weak:
        parts.append("Focus first on " + ", ".join(weak) + ".")
    drills = [d for d in drafts if d.kind == StudyItemKind.DRILL]
    for d in drills:
        t = d.target
        parts.append(f"{rules.SKILLS[d.subtopic.slug].name}: {t['from']:g} {t['unit']} now, aim for {t['to']:g}.")
    reviews = [d for d in drafts if d.kind == StudyItemKind.REVIEW]
    if reviews:
        parts.append(f"{len(reviews)} subtopic{'s are' if len(reviews) != 1 else ' is'} due for review.")
    return " ".join(parts)


def _plan_drafts(*, user: User, now: datetime) -> list[_Draft]:
    rows = [(r, _now_estimate(r, now)) for r in SubtopicMastery.objects.filter(user=user, evidence_count__gt=0)
            .select_related("subtopic", "subtopic__topic")]
    content = [pair for pair in rows if pair[0].subtopic.topic.kind != TopicKind.DELIVERY]
    delivery = [pair for pair in rows if pair[0].subtopic.topic.kind == TopicKind.DELIVERY]
    weak = _weak_items(user=user, rows=content)
    drafts = weak + _drill_items(user=user, rows=delivery)
    drafts += _review_items(rows=content, skip={d.subtopic.pk for d in weak if d.subtopic}, now=now)
    drafts.sort(key=lambda d: -d.urgency)
    return drafts


def _phrase(drafts: list[_Draft], summary: str) -> tuple[str, str]:
    """Let Gemini reword the plan when configured; returns (summary, engine) and rewrites drafts in place."""
    from mastery.phrasing import plan_phrase

    phrased = plan_phrase(summary=summary, items=[
        {"position": i, "kind": d.kind, "title": d.title, "detail": d.detail, "target": d.target,
         "question_count": d.question_count} for i, d in enumerate(drafts)])
    if phrased is None:
        return summary, "offline"
    for position, (title, detail) in phrased.items.items():
        drafts[position].title, drafts[position].detail = title, detail
    return phrased.summary, "gemini"


def _same_source(plan: StudyPlan | None, source_session: Any) -> bool:
    return (plan is not None and source_session is not None
            and plan.source_session_id == getattr(source_session, "pk", source_session))


def study_plan_generate(*, user: User, source_session: Any = None, force: bool = False,
                        now: datetime | None = None) -> StudyPlan:
    """Write the user's current study plan from their mastery and recent delivery numbers.

    Called when an interview finishes (the report task, or `mastery.tasks.study_plan_generate`). For the same
    source session it returns the current plan unless `force`, so a retried task writes nothing twice.
    The previous plan stays as history (is_current = False). Complete offline; when Gemini is configured it may
    reword the items (mastery/phrasing.py), outside the transaction since that is a network call.
    """
    now = now or timezone.now()
    if not force and _same_source(StudyPlan.objects.filter(user=user, is_current=True).first(), source_session):
        return StudyPlan.objects.get(user=user, is_current=True)
    drafts = _plan_drafts(user=user, now=now)
    summary, engine = _phrase(drafts, _summary(drafts))
    with transaction.atomic():
        # Lock the user's plans: two finishing interviews must not both become "current".
        current = list(StudyPlan.objects.select_for_update().filter(user=user, is_current=True))
        if not force and current and _same_source(current[0], source_session):
            return current[0]
        StudyPlan.objects.filter(pk__in=[p.pk for p in current]).update(is_current=False)
        plan = StudyPlan.objects.create(user=user, source_session_id=getattr(source_session, "pk", source_session),
                                        summary=summary, engine=engine, is_current=True)
        today = timezone.localdate(now)
        StudyPlanItem.objects.bulk_create([
            StudyPlanItem(plan=plan, kind=d.kind, subtopic=d.subtopic, title=d.title[:200], detail=d.detail,
                          target=d.target, question_count=d.question_count, priority=_priority(d.urgency),
                          position=i, due_date=d.due_date or today + timedelta(days=DUE_IN_DAYS[_priority(d.urgency)]))
            for i, d in enumerate(drafts)])
        study_plans_prune(user=user)
    return plan


def study_plan_enqueue(*, user: User, session: Any = None) -> None:
    """Queue the plan's rewrite after the current transaction commits (for callers that must not wait)."""
    from mastery.tasks import study_plan_generate as task
    from pipeline.tasking import task_enqueue

    task_enqueue(task.si(user.pk, getattr(session, "pk", session)))


def study_item_mark_done(*, item: StudyPlanItem, done: bool = True) -> StudyPlanItem:
    """Mark a plan item done (or not done again). Ownership is checked by the caller's selector."""
    if done and item.done_at is None:
        item.done_at = timezone.now()
    elif not done:
        item.done_at = None
    item.save(update_fields=["done_at"])
    return item


def study_plans_prune(*, user: User, keep: int = 20) -> int:
    """Old plans beyond the last `keep` are history nobody reads; drop them."""
    old: QuerySet[StudyPlan] = StudyPlan.objects.filter(user=user, is_current=False).order_by("-created_at")
    ids = list(old.values_list("pk", flat=True)[keep:])
    return StudyPlan.objects.filter(pk__in=ids).delete()[0] if ids else 0
