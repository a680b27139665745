"""What the answer page shows: the feedback, the charts, the delivery bands, and every attempt at the question side
by side with what changed from one attempt to the next."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from pydantic import ValidationError

from rag.feedback.measures import BANDS, band_rows, measures_read
from rag.feedback_schema import StoredFeedback
from sessions import charts, selectors
from sessions.models import Answer, AnswerStatus, InputMode

_COMPARE = (("content_score", "Content", 1), ("delivery_score", "Delivery", 1), ("structure_score", "Structure", 1))


def _feedback(answer: Answer) -> StoredFeedback | None:
    if not answer.feedback:
        return None
    try:
        return StoredFeedback.model_validate(answer.feedback)
    except ValidationError:
        return None  # feedback stored by an older schema: the page shows the scores without the text


def _measures(answer: Answer):  # noqa: ANN202 - rag.feedback.measures.Measures
    return measures_read(signal=answer.signal, delivery=answer.delivery, voice=answer.input_mode == InputMode.VOICE,
                         word_count=len((answer.transcript or "").split()), duration_s=answer.duration_s,
                         speaking_time_s=answer.speaking_time_s, transcript_confidence=answer.transcript_confidence)


def _kp(items: list[Any]) -> set[str]:
    return {str(i.get("point") or i.get("text") or "") if isinstance(i, dict) else str(i) for i in items or []}


def _categories(feedback: StoredFeedback | None) -> set[str]:
    return {p.category or p.title for p in feedback.improvements} if feedback else set()


def attempt_changes(previous: Answer, current: Answer) -> list[str]:
    """What changed from one attempt to the next, in plain sentences (scores, pace, fillers, key points, issues)."""
    changes = []
    for field, label, _ in _COMPARE:
        before, after = getattr(previous, field), getattr(current, field)
        if before is not None and after is not None and round(after) != round(before):
            changes.append(f"{label} {'up' if after > before else 'down'} {abs(after - before):.0f} "
                           f"({before:.0f} → {after:.0f}).")
    m0, m1 = _measures(previous), _measures(current)
    for key in ("wpm", "fillers_per_min", "pitch_std_st"):
        v0, v1 = m0.value(key), m1.value(key)
        if v0 is None or v1 is None or abs(v1 - v0) < 0.05 * max(abs(v0), 1):
            continue
        band = BANDS[key]
        note = " (now inside the target)" if band.contains(v1) and not band.contains(v0) else ""
        changes.append(f"{band.label}: {v0:.1f} → {v1:.1f} {band.unit}{note}.")
    gained = _kp(current.key_points_covered) - _kp(previous.key_points_covered)
    lost = _kp(previous.key_points_covered) - _kp(current.key_points_covered)
    if gained:
        changes.append("Newly covered: " + "; ".join(sorted(gained)) + ".")
    if lost:
        changes.append("No longer covered: " + "; ".join(sorted(lost)) + ".")
    fixed = _categories(_feedback(previous)) - _categories(_feedback(current))
    if fixed:
        changes.append("Resolved since the last attempt: " + ", ".join(sorted(fixed)) + ".")
    return changes or ["No measurable change from the previous attempt."]


def answer_page_context(*, answer: Answer) -> dict[str, Any]:
    feedback = _feedback(answer)
    attempts = selectors.answer_attempts(answer=answer)
    rows = []
    for index, attempt in enumerate(attempts):
        rows.append({
            "answer": attempt, "current": attempt.pk == answer.pk,
            "url": reverse("interviews:answer", args=[attempt.pk]),
            "wpm": _measures(attempt).wpm,
            "changes": attempt_changes(attempts[index - 1], attempt) if index else [],
        })
    m = _measures(answer)
    delivery = answer.delivery or {}
    pauses = delivery.get("pauses") or (answer.signal or {}).get("pauses") or []
    fillers = delivery.get("fillers") or []
    voice = answer.input_mode == InputMode.VOICE
    bands = band_rows(m) if voice else []
    return {
        "answer": answer,
        "question": answer.question,
        "session": answer.question.session,
        "feedback": feedback,
        "processing": answer.status in (AnswerStatus.RECORDING, AnswerStatus.PROCESSING),
        "failed": answer.status == AnswerStatus.FAILED,
        "voice": voice,
        "measures": m,
        "bands": bands,
        "covered": sorted(_kp(answer.key_points_covered)),
        "missed": sorted(_kp(answer.key_points_missed)),
        "attempts": rows,
        "status_url": reverse("interviews:answer_status", args=[answer.pk]),
        "retry_url": reverse("interviews:answer_retry", args=[answer.pk]),
        "charts": {
            "pitch": charts.pitch_chart(contour=answer.contour, duration=answer.duration_s, pauses=pauses,
                                        fillers=fillers) if voice else None,
            "loudness": charts.loudness_chart(contour=answer.contour, duration=answer.duration_s, pauses=pauses,
                                              fillers=fillers) if voice else None,
            "bands": charts.bands_chart(bands) if voice else None,
        },
    }
