"""Reads of the mastery app: summaries for the dashboard, the overview, the plan and progress pages, and which
subtopics the next interview should ask about. Ownership is part of every query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from interviewprep import charts
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
from pipeline.figures import SCORED, counted_answer, figure_mean, figures_of

KIND_ORDER = {TopicKind.TECHNICAL: 0, TopicKind.BEHAVIORAL: 1, TopicKind.DELIVERY: 2}
TREND_POINTS = 20
PROGRESS_INTERVIEWS = 20
REFERENCE_ANSWERS_PER_ITEM = 2


def answer_delivery_reading(answer: Any) -> rules.DeliveryReading:
    """An answer's delivery numbers and skill scores, read the way the coach and the report read them."""
    from pipeline.records import InputMode

    word_count = len(answer.words) if answer.words else len((answer.transcript or "").split())
    return rules.delivery_read(signal=answer.signal, delivery=answer.delivery,
                               voice=answer.input_mode == InputMode.VOICE, word_count=word_count,
                               duration_s=answer.duration_s, speaking_time_s=answer.speaking_time_s,
                               transcript_confidence=answer.transcript_confidence)


def _days_between(earlier: datetime | None, later: datetime) -> float | None:
    return None if earlier is None else max(0.0, (later - earlier).total_seconds() / 86400.0)


def _estimate_now(row: SubtopicMastery | TopicMastery, now: datetime, last: datetime | None) -> rules.Estimate:
    """The estimate as of `now`: its uncertainty has grown since the last practice (see rules.py)."""
    return rules.Estimate(rating=row.rating, variance=rules.variance_after_idle(row.variance, _days_between(last, now)),
                          evidence_count=row.evidence_count)


# --- dashboard ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicRow:
    topic_id: int
    slug: str
    name: str
    kind: str
    percent: int
    low: int
    high: int
    evidence_count: int
    weak: bool


def mastery_summary(*, user: User) -> list[TopicRow]:
    """One row per practised topic (knowledge first, delivery last), each with its mastery percent and band."""
    rows = TopicMastery.objects.filter(user=user, evidence_count__gt=0).select_related("topic")
    out = []
    for row in rows:
        est = rules.Estimate(rating=row.rating, variance=row.variance, evidence_count=row.evidence_count)
        low, high = est.band
        out.append(TopicRow(topic_id=row.topic_id, slug=row.topic.slug, name=row.topic.name, kind=row.topic.kind,
                            percent=est.percent, low=low, high=high, evidence_count=row.evidence_count,
                            weak=est.weak))
    out.sort(key=lambda r: (KIND_ORDER.get(r.kind, 9), r.name))
    return out


def current_plan(*, user: User) -> StudyPlan | None:
    return (StudyPlan.objects.filter(user=user, is_current=True)
            .prefetch_related(Prefetch("items", queryset=StudyPlanItem.objects.select_related("subtopic",
                                                                                             "subtopic__topic")))
            .first())


def plan_next_steps(*, user: User, limit: int = 4) -> list[StudyPlanItem]:
    """The most urgent items of the current plan not done yet."""
    return list(StudyPlanItem.objects.filter(plan__user=user, plan__is_current=True, done_at__isnull=True)
                .select_related("subtopic").order_by("priority", "position")[:limit])


# --- question choice ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubtopicDue:
    subtopic: Subtopic
    percent: int
    due: bool
    weak: bool
    next_review_at: datetime | None
    urgency: float

    @property
    def subtopic_id(self) -> int:
        return self.subtopic.pk


def subtopics_due_for(*, user: User, limit: int = 10, topics: Iterable[Topic] | None = None,
                      now: datetime | None = None) -> list[SubtopicDue]:
    """Practised knowledge subtopics for the next interview's questions: due-and-weak first, then due, then weak,
    then the rest by urgency (rules.review_urgency). Delivery skills are not question subjects and are left out."""
    now = now or timezone.now()
    rows = (SubtopicMastery.objects.filter(user=user, evidence_count__gt=0)
            .exclude(subtopic__topic__kind=TopicKind.DELIVERY).select_related("subtopic", "subtopic__topic"))
    if topics is not None:
        rows = rows.filter(subtopic__topic__in=list(topics))
    found = []
    for row in rows:
        est = _estimate_now(row, now, row.last_practiced_at)
        due = row.next_review_at is not None and row.next_review_at <= now
        overdue = None if row.next_review_at is None else (now - row.next_review_at).total_seconds() / 86400.0
        found.append(SubtopicDue(subtopic=row.subtopic, percent=est.percent, due=due, weak=est.weak,
                                 next_review_at=row.next_review_at,
                                 urgency=rules.review_urgency(estimate=est, overdue_days=overdue,
                                                              interval_days=row.interval_days)))
    found.sort(key=lambda d: (not (d.due and d.weak), not d.due, not d.weak, -d.urgency))
    return found[:limit]


# --- history -----------------------------------------------------------------------------------------------

def subtopic_trends(*, user: User, subtopic_ids: Iterable[int] | None = None,
                    points: int = TREND_POINTS) -> dict[int, list[dict[str, Any]]]:
    """Mastery percent after each update, oldest first, the last `points` per subtopic (for sparklines)."""
    events = MasteryEvent.objects.filter(user=user).order_by("created_at", "pk")
    if subtopic_ids is not None:
        events = events.filter(subtopic_id__in=list(subtopic_ids))
    trends: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for subtopic_id, at, rating, score in events.values_list("subtopic_id", "created_at", "rating_after", "score"):
        trends[subtopic_id].append({"at": at, "percent": round(100 * rules.sigmoid(rating)),
                                    "score": round(100 * score)})
    return {k: v[-points:] for k, v in trends.items()}


def mastery_overview(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The overview page: topics as bars, then each topic's subtopics with trend and next review."""
    now = now or timezone.now()
    topics = mastery_summary(user=user)
    rows = list(SubtopicMastery.objects.filter(user=user, evidence_count__gt=0)
                .select_related("subtopic", "subtopic__topic"))
    trends = subtopic_trends(user=user, subtopic_ids=[r.subtopic_id for r in rows])
    by_topic: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        est = _estimate_now(row, now, row.last_practiced_at)
        low, high = est.band
        trend = [p["percent"] for p in trends.get(row.subtopic_id, [])]
        by_topic[row.subtopic.topic_id].append({
            "subtopic": row.subtopic, "percent": est.percent, "low": low, "high": high, "weak": est.weak,
            "evidence_count": row.evidence_count, "last_score": None if row.last_score is None
            else round(100 * row.last_score), "next_review_at": row.next_review_at,
            "due": row.next_review_at is not None and row.next_review_at <= now,
            "sparkline": charts.sparkline(trend, color="#1d4ed8", label=(
                f"Trend over {len(trend)} answer{'s' if len(trend) != 1 else ''}: from {trend[0]}% to {trend[-1]}%"
                if trend else "")), "trend": trend,
        })
    groups = []
    for topic in topics:
        subs = sorted(by_topic.get(topic.topic_id, []), key=lambda s: s["subtopic"].name)
        groups.append({"topic": topic, "subtopics": subs})
    chart = charts.row_chart(
        [charts.Row(label=t.name, value=t.percent, text=f"{t.percent}%", color="#b45309" if t.weak else "#1d4ed8",
                    band=(t.low, t.high), band_title=f"80% range {t.low}–{t.high}%") for t in topics],
        title="Mastery by topic", mark="bar", ticks=(0, 50, 100), tick_unit="%", empty_message="",
        desc="; ".join(f"{t.name}: {t.percent}% (range {t.low} to {t.high}%)" for t in topics)) if topics else None
    return {"topics": topics, "groups": groups, "chart": chart,
            "due_count": sum(1 for g in groups for s in g["subtopics"] if s["due"])}


# --- the plan ----------------------------------------------------------------------------------------------

def plan_progress(*, plan: StudyPlan | None) -> dict[str, int]:
    items = list(plan.items.all()) if plan is not None else []
    done = sum(1 for i in items if i.done)
    return {"done": done, "total": len(items), "percent": round(100 * done / len(items)) if items else 0}


def _reference_answers(subtopic_ids: set[int]) -> dict[int, list[Any]]:
    # The bank's questions reach a subtopic through the relation the bank (rag) declares on it: mastery is the
    # lower layer and does not import rag.
    found: dict[int, list[Any]] = defaultdict(list)
    for sub in Subtopic.objects.filter(pk__in=subtopic_ids):
        found[sub.pk] = list(sub.bank_questions.filter(is_active=True)
                             .order_by("difficulty", "ext_id")[:REFERENCE_ANSWERS_PER_ITEM])
    return found


def plan_page(*, user: User) -> dict[str, Any]:
    """The current plan with its progress, reference answers for study items, and earlier plans' completion."""
    plan = current_plan(user=user)
    items = list(plan.items.all()) if plan is not None else []
    study_subtopics = {i.subtopic_id for i in items if i.kind == StudyItemKind.STUDY and i.subtopic_id}
    references = _reference_answers(study_subtopics) if study_subtopics else {}
    rows = [{"item": i, "references": references.get(i.subtopic_id, []) if i.kind == StudyItemKind.STUDY else [],
             "overdue": bool(i.due_date and not i.done and i.due_date < timezone.localdate())} for i in items]
    history = []
    for old in (StudyPlan.objects.filter(user=user, is_current=False).prefetch_related("items")
                .order_by("-created_at")[:10]):
        history.append({"plan": old, **plan_progress(plan=old)})
    return {"plan": plan, "rows": rows, "progress": plan_progress(plan=plan), "history": history}


def study_item_for_owner(*, user: User, item_id: int) -> StudyPlanItem:
    """The item if it belongs to one of `user`'s plans; 404 otherwise (another user's id reveals nothing)."""
    item = StudyPlanItem.objects.select_related("plan").filter(pk=item_id, plan__user=user).first()
    if item is None:
        raise Http404("No such study item.")
    return item


def topic_by_slug(*, slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        raise Http404("No such topic.")
    return topic


def reset_scope(*, user: User, topic: Topic | None) -> dict[str, int]:
    """What a reset would remove, for the confirmation page."""
    rows = SubtopicMastery.objects.filter(user=user)
    events = MasteryEvent.objects.filter(user=user)
    if topic is not None:
        rows, events = rows.filter(subtopic__topic=topic), events.filter(subtopic__topic=topic)
    return {"subtopics": rows.count(), "events": events.count()}


# --- progress over time --------------------------------------------------------------------------------------

def progress_over_time(*, user: User, limit: int = PROGRESS_INTERVIEWS) -> dict[str, Any]:
    """Per interview (oldest first, the last `limit` with a scored answer): the interview's figures as every other
    page shows them (pipeline/figures.py: answered questions, mean content and delivery, mean pace and the other
    delivery means), with charts of each delivery metric against its target band."""
    from pipeline.records import answer_model, session_model

    Answer, InterviewSession = answer_model(), session_model()

    sessions = list(InterviewSession.objects.filter(owner=user, questions__answers__status=SCORED)
                    .distinct().order_by("-created_at")
                    .prefetch_related("questions", "questions__topic", Prefetch("questions__answers",
                                                            queryset=Answer.objects.order_by("attempt")))[:limit])
    sessions.reverse()
    rows = []
    for session in sessions:
        figures = figures_of(list(session.questions.all()))
        metrics = {key: value for key, value in figures.bands.items() if value is not None}
        when = timezone.localtime(session.finished_at or session.created_at)
        rows.append({"session": session, "label": f"{when:%b} {when.day}", "figures": figures,
                     "content": figures.content, "answers": figures.answered, "questions": figures.questions,
                     "delivery": figures.delivery, "metrics": metrics,
                     "cells": [{"value": metrics.get(s.metric), "in_band": s.metric in metrics
                                and s.contains(metrics[s.metric])} for s in rules.SKILLS.values()]})
    labels = [r["label"] for r in rows]
    score_series = [
        charts.Series("Content", "#1d4ed8", [r["content"] for r in rows]),
        charts.Series("Delivery", "#047857", [r["delivery"] for r in rows], dash="6 4"),
    ]
    scores_chart = charts.trend_chart(score_series, labels=labels, lo=0, hi=100,
                                      title="Content and delivery scores per interview, 0 to 100")
    score_notes = [charts.trend_sentence(name=s.name, labels=labels, values=s.values) for s in score_series]
    metric_charts = []
    for skill in rules.SKILLS.values():
        values = [r["metrics"].get(skill.metric) for r in rows]
        present = [v for v in values if v is not None]
        if not present:
            continue
        # An open-ended band ("at most 3 per min") is drawn from 0 or up to just above the data.
        band = (skill.low if skill.low is not None else 0.0,
                skill.high if skill.high is not None else max(present) * 1.1)
        metric_charts.append({
            "skill": skill, "latest": present[-1], "in_band": skill.contains(present[-1]),
            "note": charts.trend_sentence(name=skill.label, labels=labels, values=values, unit=skill.unit,
                                          digits=0 if skill.metric == "wpm" else 1, band=(skill.low, skill.high)),
            "chart": charts.trend_chart([charts.Series(skill.label, "#b45309", values)], labels=labels,
                                        title=skill.label, band=band, band_title=f"target {skill.describe()}",
                                        width=380, height=170)})
    return {"rows": rows, "scores_chart": scores_chart, "score_notes": score_notes, "metric_charts": metric_charts,
            "topics": _topic_trends(sessions, labels),
            "skills": list(rules.SKILLS.values())}


TOPIC_SERIES = 6  # more lines than this read as a tangle: the topics met in the most interviews are drawn


def _topic_trends(sessions: list[Any], labels: list[str]) -> dict[str, Any]:
    """Content per topic per interview: the mean content of the topic's counted answers in each interview (the
    same counted answer and mean as every figure, pipeline/figures.py); None where the topic was not asked."""
    by_topic: dict[str, list[float | None]] = {}
    for index, session in enumerate(sessions):
        groups: dict[str, list[float | None]] = defaultdict(list)
        for question in session.questions.all():
            answer = counted_answer(question.answers.all())
            if answer is not None:
                groups[question.topic.name].append(answer.content_score)
        for name, values in groups.items():
            by_topic.setdefault(name, [None] * len(sessions))[index] = figure_mean(values)
    ranked = sorted(by_topic.items(), key=lambda kv: (-sum(v is not None for v in kv[1]), kv[0]))[:TOPIC_SERIES]
    series = [charts.Series(name, charts.TOPIC_COLOURS[i % len(charts.TOPIC_COLOURS)], values)
              for i, (name, values) in enumerate(ranked)]
    return {
        "chart": charts.trend_chart(series, labels=labels, lo=0, hi=100,
                                    title="Content score per topic per interview, 0 to 100") if series else None,
        "rows": [{"name": s.name, "note": charts.trend_sentence(name=s.name, labels=labels, values=s.values)}
                 for s in series],
    }
