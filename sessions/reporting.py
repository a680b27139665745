"""The interview report: synthesised from the session's latest scored attempts when the interview ends.

Deterministic and idempotent: the same stored answers give the same `Report.data` (no clock values inside it), so
the Celery task may run twice. Scores: content and structure are means over answered questions; delivery and
confidence over spoken answers whose recording supports them (typed and silent answers carry no delivery).
`ReportNotReady` is raised while answers are still in the pipeline, so the task waits instead of reporting half
an interview; an answer stuck in processing for longer than `STALE_AFTER` is left out and named in the report.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pipeline.figures import Figures, answer_measures, counted_answer, figures_of
from pipeline.measures import BANDS, band_rows, confidence_score
from sessions.models import (
    Answer,
    AnswerStatus,
    InputMode,
    InterviewSession,
    Report,
    ReportStatus,
    SessionStatus,
)
from sessions.notify import session_notify

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)
CATEGORY_LABELS = {
    "incorrect": "Incorrect statements", "red_flag": "Red flags",
    "key_points": "Key points", "star": "STAR structure", "length": "Answer length", "structure": "Signposting",
    "examples": "Concrete examples", "pace": "Pace", "fillers": "Filler words", "hedges": "Hedging",
    "pauses": "Pauses", "pitch": "Pitch variation", "loudness": "Loudness variation",
}
# What each figure means, shown where the figure appears (report page, shared page, PDF, feedback page): one text
# per figure. docs/measures.md and docs/judgement.md give the full definitions.
FIGURE_HELP = {
    "content": "How much of each question's key points you covered, judged sentence by sentence against the model "
               "answer; a statement that contradicts a key point caps it at 40.",
    "delivery": "Pace, filler words, long pauses, pitch and loudness variation against their target bands, "
                "weighted; typed answers and recordings too poor to judge have none.",
    "structure": "A direct opening, signposting, a concrete example and a sensible length (STAR parts for "
                 "behavioural questions).",
    "confidence": "How sure you sound, not how sure you are: 100 minus deductions for fillers above 2 a minute, "
                  "hedges (“I think”, “maybe”), long pauses, a flat pitch, a quiet voice and a slow pace.",
    "means": "Interview scores are means: content and structure over the answered questions, delivery and "
             "confidence over the spoken answers whose recording supports them. Each question counts once: its "
             "latest scored attempt. Every score is out of 100.",
    "pace": "Words per minute from the first word to the last of each spoken answer, pauses included.",
}
DELIVERY_CATEGORIES = frozenset({"pace", "fillers", "hedges", "pauses", "pitch", "loudness"})


class ReportNotReady(Exception):
    """Some answers of the session are still being scored."""


def _point_key(point: dict[str, Any]) -> str:
    return point.get("category") or point.get("title", "")[:40]


def _aggregate_points(rows: list[tuple[int, dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    """The three most frequent kinds of strength (or improvement) across answers, with where each appeared."""
    groups: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for position, feedback in rows:
        for point in feedback.get(kind) or []:
            key = _point_key(point)
            if not key:
                continue
            group = groups.setdefault(key, {"category": key, "label": CATEGORY_LABELS.get(key, key), "count": 0,
                                            "questions": [], "examples": []})
            if position not in group["questions"]:
                group["count"] += 1
                group["questions"].append(position)
            if len(group["examples"]) < 2:
                evidence = (point.get("evidence") or [{}])[0]
                # The kind says how to show it: only a quote is the candidate's words (a metric is ours).
                group["examples"].append({"question": position, "title": point.get("title", ""),
                                          "evidence": evidence.get("text", ""),
                                          "evidence_kind": evidence.get("kind", "quote")})
    ranked = sorted(groups.values(), key=lambda g: -g["count"])  # stable: first seen wins ties
    return ranked[:3]


def _question_row(question: Any, answer: Answer | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "position": question.position, "question_id": question.pk, "text": question.text,
        "topic": question.topic.name, "subtopic": question.subtopic.name if question.subtopic else "",
        "subtopic_id": question.subtopic_id, "status": question.status, "source": question.source,
        "attempts": len(question.answers.all()), "answer_id": None,
    }
    if answer is None:
        return row
    m = answer_measures(answer)
    feedback = answer.feedback or {}
    row |= {
        "answer_id": answer.pk, "attempt": answer.attempt, "input_mode": answer.input_mode,
        "content": answer.content_score, "delivery": answer.delivery_score, "structure": answer.structure_score,
        "confidence": confidence_score(m),
        "wpm": None if m.wpm is None else round(m.wpm, 1),
        "fillers_per_min": None if m.fillers_per_min is None else round(m.fillers_per_min, 2),
        "pitch_std_st": None if m.pitch_std_st is None else round(m.pitch_std_st, 2),
        "long_pauses_per_min": None if m.long_pauses_per_min is None else round(m.long_pauses_per_min, 2),
        "loudness_std_db": None if m.loudness_std_db is None else round(m.loudness_std_db, 2),
        "covered": [_kp_text(k) for k in answer.key_points_covered or []],
        "missed": [_kp_text(k) for k in answer.key_points_missed or []],
        # What the answer got wrong, with the correction: listed on the report before anything it missed.
        "incorrect": [{"point": _kp_text(k), "said": str(k.get("sentence") or ""),
                       "correction": str(k.get("correction") or ""), "why": str(k.get("why") or "")}
                      for k in answer.key_points_contradicted or [] if isinstance(k, dict) and _kp_text(k)],
        "red_flags": [{"code": str(f.get("code")), "message": str(f.get("message") or ""),
                       "severity": str(f.get("severity") or "")}
                      for f in answer.red_flags or [] if isinstance(f, dict) and f.get("code")],
        "engine": answer.feedback_engine, "summary": feedback.get("summary", ""),
        "withheld": feedback.get("withheld") or [],
        "bands": band_rows(m),
    }
    return row


def _kp_text(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("point") or item.get("text") or "")
    return str(item)


def _delivery_trend(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How delivery changed from the first spoken answer to the last: a line per measure that moved."""
    spoken = [r for r in rows if r.get("input_mode") == InputMode.VOICE]
    series = {key: [[r["position"], r.get(key)] for r in spoken]
              for key in ("wpm", "fillers_per_min", "pitch_std_st", "delivery", "confidence")}
    notes = []
    labels = {"wpm": ("Pace", "wpm", BANDS["wpm"]), "fillers_per_min": ("Fillers", "per min",
                                                                       BANDS["fillers_per_min"]),
              "pitch_std_st": ("Pitch variation", "st", BANDS["pitch_std_st"])}
    for key, (label, unit, band) in labels.items():
        points = [(p, v) for p, v in series[key] if v is not None]
        if len(points) < 2:
            continue
        (p0, v0), (p1, v1) = points[0], points[-1]
        if abs(v1 - v0) < 0.05 * max(abs(v0), 1):
            notes.append(f"{label} held steady around {v0:.1f} {unit} (Q{p0}–Q{p1}).")
            continue
        was, now = band.contains(v0), band.contains(v1)
        verdict = (" into the target band" if now and not was else " out of the target band" if was and not now
                   else "")
        notes.append(f"{label} went from {v0:.1f} {unit} in Q{p0} to {v1:.1f} {unit} in Q{p1}{verdict} "
                     f"({band.text}).")
    return {"series": series, "notes": notes}


def _bands(figures: Figures) -> list[dict[str, Any]]:
    """Each delivery band with the interview's mean (pipeline.figures: over the spoken answers that support it)."""
    rows = []
    for key, band in BANDS.items():
        value = figures.bands.get(key)
        rows.append({"key": key, "label": band.label, "target": band.text, "low": band.low, "high": band.high,
                     "unit": band.unit, "value": value, "ok": None if value is None else band.contains(value)})
    return rows


def _study_next(rows: list[dict[str, Any]], improvements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What to practise next: subtopics with wrong statements first, then weak ones with their missed points, then
    the most frequent delivery issue."""
    answered = [r for r in rows if r.get("answer_id")]
    # A subtopic's score is that of its latest answered question (rows are in the order asked), so the reason never
    # quotes an older or lower answer than the one the candidate just gave.
    latest = {(r["topic"], r["subtopic"]): r.get("content") for r in answered}
    weak: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
    for row in sorted(answered, key=lambda r: (not r.get("incorrect"),
                                               latest[(r["topic"], r["subtopic"])] or 0, r["position"])):
        if (row.get("content") or 0) >= 70 and not row.get("missed") and not row.get("incorrect"):
            continue
        key = (row["topic"], row["subtopic"])
        item = weak.setdefault(key, {"kind": "knowledge", "topic": row["topic"], "subtopic": row["subtopic"],
                                     "subtopic_id": row["subtopic_id"], "questions": [], "missed": [],
                                     "content": latest[key], "incorrect": []})
        item["questions"].append(row["position"])
        item["incorrect"].extend(i["point"] for i in row.get("incorrect", []) if i["point"] not in item["incorrect"])
        item["missed"].extend(p for p in row.get("missed", []) if p not in item["missed"])
    study = []
    for item in weak.values():
        score = item["content"]
        item["reason"] = (f"latest content {score:.0f}/100" if score is not None else "no content score") + (
            f"; got wrong: {'; '.join(item['incorrect'][:3])}" if item["incorrect"] else "") + (
            f"; missed: {'; '.join(item['missed'][:3])}" if item["missed"] else "")
        item["missed"] = item["missed"][:5]
        study.append(item)
    for group in improvements:
        if group["category"] in DELIVERY_CATEGORIES:
            study.append({"kind": "delivery", "topic": "Delivery", "subtopic": group["label"], "subtopic_id": None,
                          "questions": group["questions"], "missed": [],
                          "reason": f"came up in {group['count']} answer(s): {group['examples'][0]['title']}"})
            break
    return study[:5]


def _trends(session: InterviewSession, scores: dict[str, float | None]) -> dict[str, Any]:
    """This interview against the candidate's previous finished, reported interviews (up to five)."""
    previous = list(Report.objects.filter(session__owner_id=session.owner_id, status=ReportStatus.READY,
                                          session__status=SessionStatus.COMPLETED,
                                          session__created_at__lt=session.created_at)
                    .select_related("session").order_by("-session__created_at")[:5])
    history = [{"session_id": r.session_id, "date": r.session.created_at.date().isoformat(),
                "content": r.content_score, "delivery": r.delivery_score, "confidence": r.confidence_score}
               for r in previous]
    notes, deltas = [], {}
    if history:
        last = history[0]
        for key in ("content", "delivery", "confidence"):
            if scores.get(key) is not None and last[key] is not None:
                delta = round(scores[key] - last[key], 1)
                deltas[key] = delta
                direction = "up" if delta > 0 else "down" if delta < 0 else "unchanged"
                notes.append(f"{key.capitalize()} {direction} {abs(delta):.0f} points since {last['date']} "
                             f"({last[key]:.0f} → {scores[key]:.0f}).")
    return {"previous": history, "deltas": deltas, "notes": notes}


def report_synthesise(*, session: InterviewSession) -> dict[str, Any]:
    """The report's data for `session`; raises ReportNotReady while answers are still being scored."""
    questions = list(session.questions.select_related("topic", "subtopic").prefetch_related("answers")
                     .order_by("position"))
    now = timezone.now()
    stale = []
    for question in questions:
        for answer in question.answers.all():
            if answer.status == AnswerStatus.PROCESSING:
                if now - (answer.ended_at or answer.started_at) < STALE_AFTER:
                    raise ReportNotReady(f"answer {answer.pk} is still being scored")
                stale.append(answer.pk)
    latest = {q.pk: counted_answer(q.answers.all()) for q in questions}
    rows = [_question_row(q, latest[q.pk]) for q in questions]
    answered = [a for a in latest.values() if a is not None]
    answered_rows = [r for r in rows if r.get("answer_id")]
    # Counts and means from the one definition every other page reads (pipeline/figures.py).
    figures = figures_of(questions)
    scores = {"content": figures.content, "delivery": figures.delivery, "structure": figures.structure,
              "confidence": figures.confidence}
    feedback_rows = [(r["position"], latest[r["question_id"]].feedback or {}) for r in answered_rows]
    strengths = _aggregate_points(feedback_rows, "strengths")
    improvements = _aggregate_points(feedback_rows, "improvements")
    engines: dict[str, int] = {}
    for answer in answered:
        engines[answer.feedback_engine or "none"] = engines.get(answer.feedback_engine or "none", 0) + 1
    return {
        "version": 1,
        "session": {"id": session.pk, "mode": session.mode, "planned_count": session.planned_count,
                    "started_at": session.started_at.isoformat() if session.started_at else None,
                    "finished_at": session.finished_at.isoformat() if session.finished_at else None},
        "counts": {"questions": figures.questions, "answered": figures.answered, "skipped": figures.skipped,
                   "follow_ups": figures.follow_ups, "spoken": figures.spoken},
        "scores": scores,
        "pace_wpm": figures.pace_wpm, "pace_target": BANDS["wpm"].text,
        "questions": rows,
        "incorrect_count": sum(len(r.get("incorrect") or []) for r in rows),
        "delivery_trend": _delivery_trend(rows),
        "bands": _bands(figures),
        "strengths": strengths,
        "improvements": improvements,
        "study_next": _study_next(rows, improvements),
        "trends": _trends(session, scores),
        "stale_answers": stale,
        "engines": dict(sorted(engines.items())),
    }


def report_build(*, session_id: int) -> Report:
    """Build (or rebuild) the report of a session and tell the page. Idempotent."""
    session = InterviewSession.objects.get(pk=session_id)
    report, _ = Report.objects.get_or_create(session=session)
    Report.objects.filter(pk=report.pk).exclude(status=ReportStatus.READY).update(status=ReportStatus.BUILDING,
                                                                                   progress=10)
    data = report_synthesise(session=session)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        report.data = data
        report.status = ReportStatus.READY
        report.progress = 100
        report.engine = "offline"
        report.content_score = data["scores"]["content"]
        report.delivery_score = data["scores"]["delivery"]
        report.confidence_score = data["scores"]["confidence"]
        report.built_at = timezone.now()
        report.error = ""
        report.save()
    # Every answer is scored (and so applied to mastery) by now: rewrite the study plan from this interview.
    from mastery.services import study_plan_enqueue

    study_plan_enqueue(user=session.owner, session=session)
    session_notify(session_id=session.pk, event={
        "type": "report.ready", "session_id": session.pk,
        "report_url": reverse("interviews:report", args=[session.pk]),
        "content_score": report.content_score, "delivery_score": report.delivery_score,
        "confidence_score": report.confidence_score,
    })
    return report


def report_mark_failed(*, session_id: int, error: BaseException | str) -> Report | None:
    report = Report.objects.filter(session_id=session_id).first()
    if report is None:
        return None
    report.status = ReportStatus.FAILED
    report.error = (f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error))[:300]
    report.save(update_fields=["status", "error"])
    session_notify(session_id=session_id, event={"type": "report.ready", "session_id": session_id,
                                                 "status": "failed", "error": report.error})
    return report


def report_request(*, session: InterviewSession) -> Report | None:
    """A finished interview without a report gets one queued (failed ones are retried from the page's button)."""
    if session.status != SessionStatus.COMPLETED:
        return Report.objects.filter(session=session).first()
    report, created = Report.objects.get_or_create(session=session)
    if created:
        Report.objects.filter(pk=report.pk).update(status=ReportStatus.PENDING, progress=0, error="")
        report.refresh_from_db()
        from pipeline.chain import report_build_enqueue

        transaction.on_commit(lambda: report_build_enqueue(session_id=session.pk))
    return report


def report_status(*, report: Report | None, session: InterviewSession) -> dict[str, Any]:
    """What the report page polls for (the `report.ready` push may be lost)."""
    return {
        "session_id": session.pk,
        "session_status": session.status,
        "status": report.status if report else "none",
        "progress": report.progress if report else 0,
        "error": report.error if report else "",
        "content_score": report.content_score if report else None,
        "delivery_score": report.delivery_score if report else None,
        "confidence_score": report.confidence_score if report else None,
        "report_url": reverse("interviews:report", args=[session.pk]),
        "pdf_url": reverse("interviews:report_pdf", args=[session.pk]),
    }
