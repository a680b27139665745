"""What the answer page shows, in reading order: the verdict in three lines (scores, the one biggest fix, the best
part), every attempt at the question side by side with what changed, the replay with its transcript, then the
details (folded), the stronger answer and the model answer.

Quotes are the candidate's whole sentences, each shown once on the page: feedback stored before the coach quoted
whole sentences is repaired here (a cut quote is completed from the transcript, or dropped), and a sentence already
quoted higher up is referred to instead of repeated."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from pydantic import ValidationError

from interviewprep import charts
from pipeline.figures import answer_measures, figure_text
from pipeline.measures import BANDS, LONG_PAUSE_S, band_rows, pause_length
from pipeline.text import prose_list, prose_tidy, quote_key
from rag.feedback.star import sentences_split
from rag.feedback_schema import StoredFeedback
from sessions import selectors
from sessions.insights import answer_word_insights
from sessions.models import Answer, AnswerStatus, InputMode
from sessions.reporting import FIGURE_HELP

_COMPARE = (("content_score", "Content", 1), ("delivery_score", "Delivery", 1), ("structure_score", "Structure", 1))


def _feedback(answer: Answer) -> StoredFeedback | None:
    if not answer.feedback:
        return None
    try:
        return StoredFeedback.model_validate(answer.feedback)
    except ValidationError:
        return None  # feedback stored by an older schema: the page shows the scores without the text


def _kp(items: list[Any]) -> set[str]:
    return {str(i.get("point") or i.get("text") or "") if isinstance(i, dict) else str(i) for i in items or []}


def _categories(feedback: StoredFeedback | None) -> set[str]:
    return {p.category or p.title for p in feedback.improvements} if feedback else set()


def attempt_changes(previous: Answer, current: Answer) -> list[str]:
    """What changed from one attempt to the next, in plain sentences (scores, pace, fillers, key points, issues)."""
    changes = []
    for field, label, _ in _COMPARE:
        before, after = getattr(previous, field), getattr(current, field)
        # Rounded as the page prints the scores beside it, so "58.5" reads 59 in both places.
        if before is None or after is None:
            continue
        shown0, shown1 = figure_text(before), figure_text(after)
        if shown0 != shown1:
            delta = abs(int(shown1) - int(shown0))
            changes.append(f"{label} {'up' if after > before else 'down'} {delta} ({shown0} → {shown1}).")
    m0, m1 = answer_measures(previous), answer_measures(current)
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
        changes.append("Newly covered: " + prose_list(sorted(gained)) + ".")
    if lost:
        changes.append("No longer covered: " + prose_list(sorted(lost)) + ".")
    fixed = _categories(_feedback(previous)) - _categories(_feedback(current))
    if fixed:
        changes.append("Resolved since the last attempt: " + ", ".join(sorted(fixed)) + ".")
    return changes or ["No measurable change from the previous attempt."]


def _word_index_at(words: list[dict[str, Any]], t: float | None) -> int | None:
    """The first word starting at or after `t` (how pauses and fillers without a stored index are placed)."""
    if t is None:
        return None
    return next((i for i, w in enumerate(words) if float(w.get("start") or 0) >= t - 1e-3), None)


def transcript_marks(*, words: list[Any], delivery: dict[str, Any]) -> list[dict[str, Any]]:
    """The transcript as tokens for the page: each word with its kind ("word", "filler" or "hedge") and a "pause"
    token before the word that follows each long pause. Fillers and hedges are placed by the word index the
    transcriber stored (by start time for older answers); an empty list when there are no timed words."""
    words = [w for w in words or [] if isinstance(w, dict) and str(w.get("text") or "").strip()]
    if not words:
        return []
    kinds = ["word"] * len(words)
    for kind, key in (("hedge", "hedges"), ("filler", "fillers")):  # a filler wins where the two overlap
        for item in delivery.get(key) or []:
            if not isinstance(item, dict):
                continue
            index = item.get("index")
            if not isinstance(index, int):
                index = _word_index_at(words, item.get("start"))
            if index is None:
                continue
            length = item.get("length") if isinstance(item.get("length"), int) else 1
            for i in range(max(0, index), min(len(words), index + max(1, length))):
                kinds[i] = kind
    pauses_before: dict[int, float] = {}
    for pause in delivery.get("pauses") or []:
        length = pause_length(pause) if isinstance(pause, dict) else None
        if length is None or length < LONG_PAUSE_S:
            continue
        after = pause.get("word_index_after")
        if not isinstance(after, int):
            after = _word_index_at(words, pause.get("start"))
        if after is not None and 0 < after < len(words):  # only pauses between words are shown
            pauses_before[after] = max(length, pauses_before.get(after, 0.0))
    tokens: list[dict[str, Any]] = []
    for i, (word, kind) in enumerate(zip(words, kinds, strict=True)):
        if i in pauses_before:
            tokens.append({"kind": "pause", "text": f"{pauses_before[i]:.1f} s pause"})
        # Times let the replay player highlight the word being played and seek to a clicked one.
        tokens.append({"kind": kind, "text": str(word["text"]).strip(), "start": word.get("start"),
                       "end": word.get("end")})
    return tokens


_INLINE_QUOTE = re.compile(r"“([^”]+)”")
QUOTED_ABOVE = "the sentence quoted above"
_SENTENCE_QUOTE_WORDS = 5  # shorter quotes are words ("um", "I think") or names of key points, not sentences


@dataclass
class PagePoint:
    """One strength or improvement as the page shows it: prose repaired, each quote whole and shown once."""

    title: str
    detail: str
    quotes: list[str] = dataclasses.field(default_factory=list)
    notes: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # measured values and missed key points


class PageQuotes:
    """The candidate's sentences quoted on one page, in reading order: the first mention shows the quote, a later
    one refers to it. Only sentences of the transcript count (quoted key points and words are not sentences)."""

    def __init__(self, transcript: str) -> None:
        self.sentences = sentences_split(transcript)
        self.transcript_key = quote_key(transcript)
        self.seen: set[str] = set()

    def whole(self, text: str) -> str | None:
        """`text` as a whole sentence of the transcript: a quote cut with "…" is completed (None if it cannot)."""
        text = " ".join(str(text or "").split())
        if not text.endswith("…"):
            return text
        start = quote_key(text.rstrip("…"))
        return next((s for s in self.sentences if start and quote_key(s).startswith(start)), None)

    def _is_sentence(self, key: str) -> bool:
        return len(key.split()) >= _SENTENCE_QUOTE_WORDS and key in self.transcript_key

    def first_time(self, text: str) -> bool:
        """True the first time a sentence is quoted on the page (and for anything that is not a sentence)."""
        key = quote_key(text)
        if not self._is_sentence(key):
            return True
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def prose(self, text: str) -> str:
        """Prose with its inline quotes whole and each sentence quoted once (later mentions refer to it)."""
        def one(match: re.Match[str]) -> str:
            quoted = self.whole(match.group(1))
            if quoted is None:
                return "“" + match.group(1).rstrip("…").rstrip() + "”"  # not in the transcript: not a quote of theirs
            return f"“{quoted}”" if self.first_time(quoted) else QUOTED_ABOVE
        return prose_tidy(_INLINE_QUOTE.sub(one, str(text or "")))

    def block(self, text: str) -> str | None:
        """A quote shown on its own: whole, and only the first time."""
        quoted = self.whole(text)
        return quoted if quoted and self.first_time(quoted) else None


def page_points(points: list[Any], quotes: PageQuotes) -> list[PagePoint]:
    shown = []
    for point in points:
        detail = quotes.prose(point.detail)
        item = PagePoint(title=prose_tidy(point.title), detail=detail)
        for ev in point.evidence:
            if ev.kind == "key_point" and quote_key(ev.text) in quote_key(detail):
                continue  # the detail already names the point
            if ev.kind != "quote":
                item.notes.append({"kind": ev.kind, "text": prose_tidy(ev.text), "target": ev.target})
            elif (quoted := quotes.block(ev.text)) is not None:
                item.quotes.append(quoted)
        shown.append(item)
    return shown


def feedback_for_page(*, feedback: StoredFeedback, transcript: str) -> dict[str, Any]:
    """The feedback's text in page order (Incorrect, improvements, strengths, STAR, outline), each quote once."""
    quotes = PageQuotes(transcript)
    incorrect = [{"point": i.point, "said": quotes.block(i.said) if i.said else None,
                  "correction": prose_tidy(i.correction), "why": prose_tidy(i.why)} for i in feedback.incorrect]
    improvements = page_points(feedback.improvements, quotes)
    strengths = page_points(feedback.strengths, quotes)
    star = [{"part": p.part, "present": p.present, "quote": quotes.block(p.quote) if p.quote else None}
            for p in feedback.star or []]
    return {
        "incorrect": incorrect, "improvements": improvements, "strengths": strengths, "star": star,
        "outline": [quotes.prose(line) for line in feedback.stronger_answer_outline],
        "summary": quotes.prose(feedback.summary),
    }


def _verdict(answer: Answer, page: dict[str, Any] | None) -> dict[str, Any] | None:
    """The three lines at the top: the stored scores (the ones every other page reads), the one biggest fix (the
    first improvement: the coach ranks them by severity, wrong statements first) and the best part."""
    if page is None:
        return None
    fix = page["improvements"][0] if page["improvements"] else None
    best = page["strengths"][0] if page["strengths"] else None
    return {"fix": fix, "best": best, "scores": [
        ("Content", answer.content_score), ("Delivery", answer.delivery_score),
        ("Structure", answer.structure_score)]}


def _attempt_rows(answer: Answer) -> list[dict[str, Any]]:
    attempts = selectors.answer_attempts(answer=answer)
    rows = []
    for index, attempt in enumerate(attempts):
        m = answer_measures(attempt)
        rows.append({
            "answer": attempt, "current": attempt.pk == answer.pk,
            "url": reverse("interviews:answer", args=[attempt.pk]),
            "wpm": m.wpm, "fillers_per_min": m.fillers_per_min,
            "covered": len(_kp(attempt.key_points_covered)),
            "points": len(_kp(attempt.key_points_covered)) + len(_kp(attempt.key_points_missed))
            + len(_kp(attempt.key_points_contradicted)),
            "changes": attempt_changes(attempts[index - 1], attempt) if index else [],
        })
    return rows


def answer_page_context(*, answer: Answer) -> dict[str, Any]:
    feedback = _feedback(answer)
    page = feedback_for_page(feedback=feedback, transcript=answer.transcript or "") if feedback else None
    m = answer_measures(answer)
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
        "page": page,
        "verdict": _verdict(answer, page),
        "processing": answer.status in (AnswerStatus.RECORDING, AnswerStatus.PROCESSING),
        "failed": answer.status == AnswerStatus.FAILED,
        "voice": voice,
        "measures": m,
        "transcript_marks": transcript_marks(words=answer.words, delivery=delivery) if voice else [],
        "bands": bands,
        "covered": sorted(_kp(answer.key_points_covered)),
        "missed": sorted(_kp(answer.key_points_missed)),
        "contradicted": sorted(_kp(answer.key_points_contradicted)),
        "key_point_total": len(_kp(answer.key_points_covered)) + len(_kp(answer.key_points_missed))
        + len(_kp(answer.key_points_contradicted)),
        "attempts": _attempt_rows(answer),
        "model_answer": answer.question.reference_answer,
        # The same explanations as the report's (one text per figure).
        "figure_help": [(key.capitalize(), FIGURE_HELP[key]) for key in ("content", "delivery", "structure")],
        "status_url": reverse("interviews:answer_status", args=[answer.pk]),
        "retry_url": reverse("interviews:answer_retry", args=[answer.pk]),
        # Replay (templates/sessions/_replay.html): the same URL as the API's `audio_url`.
        "replay_url": reverse("api:answer-audio", args=[answer.pk]) if selectors.answer_has_replay(answer) else "",
        "insights": answer_word_insights(answer=answer),
        "charts": {
            "pitch": charts.pitch_chart(contour=answer.contour, duration=answer.duration_s, pauses=pauses,
                                        fillers=fillers) if voice else None,
            "loudness": charts.loudness_chart(contour=answer.contour, duration=answer.duration_s, pauses=pauses,
                                              fillers=fillers) if voice else None,
            "bands": charts.bands_chart(bands) if voice else None,
        },
    }
