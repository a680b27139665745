"""Writes of the feedback step: compose an answer's feedback (Gemini when configured, else the offline coach) and
store it on the answer.

The offline coach always runs: it is the fallback for any Gemini failure and the yardstick for Gemini's scores.
Where Gemini's score differs from the offline coach's by more than 20 points the difference is recorded in
`disagreement` and the stored score for that dimension is the offline one: the deterministic, measurement-based
number is the one the report and mastery build on, so the same answer keeps the same scores.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import transaction

from rag.feedback.coach import CoachInput, coach_feedback, coach_input_from_answer
from rag.feedback.gemini import GeminiError, gemini_configured, gemini_generate
from rag.feedback.measures import BANDS, gates_for, measures_read
from rag.feedback_schema import Feedback, Scores, StoredFeedback
from sessions.models import Answer

log = logging.getLogger(__name__)

DISAGREEMENT_POINTS = 20

SYSTEM_PROMPT = """You are an interview coach giving feedback on one answer in a mock job interview.
Return JSON matching the schema exactly. Rules:
- Be specific to this answer: quote the candidate's own phrases; no generic advice.
- Every improvement must carry at least one evidence item: a quoted phrase (kind "quote"), a measured number
  against its target range (kind "metric", with metric, value and target), or a missed key point (kind "key_point").
- Use only the measurements given. Never invent a measurement. If a judgement is listed under WITHHELD, do not make
  it; copy those lines into "withheld" and set scores.delivery to null when delivery is withheld.
- Scores are integers 0-100: content (correctness and coverage of the key points), delivery (pace, fillers,
  pauses, pitch variation, loudness variation against the target bands), structure (directness, organisation,
  and for behavioral questions the STAR parts).
- Set "category" on each point to one of: key_points, star, length, structure, examples, pace, fillers, hedges,
  pauses, pitch, loudness.
- "star" only for behavioral questions (situation, task, action, result: present or not, with a quote); else null.
- At most 5 strengths, 6 improvements and 8 outline lines."""


def _prompt(inp: CoachInput, offline: Feedback) -> str:
    words = len(inp.transcript.split())
    m = measures_read(signal=inp.signal, delivery=inp.delivery, voice=inp.voice, word_count=words,
                      duration_s=inp.duration_s, speaking_time_s=inp.speaking_time_s,
                      transcript_confidence=inp.transcript_confidence)
    gates = gates_for(m)
    measurements = {}
    if gates.words:
        measurements |= {"wpm": m.wpm, "fillers_per_min": m.fillers_per_min,
                         "fillers": dict(m.filler_counts), "hedges": [h for h, _ in m.hedges]}
    if gates.delivery:
        measurements |= {"long_pauses_per_min": m.long_pauses_per_min, "longest_pause_s": m.longest_pause_s,
                         "pause_count": m.pause_count}
    if gates.voice_quality:
        measurements |= {"pitch_std_st": m.pitch_std_st, "pitch_range_st": m.pitch_range_st,
                         "monotone": m.monotone, "loudness_std_db": m.loudness_std_db,
                         "jitter_local (supporting evidence only)": m.jitter_local,
                         "shimmer_local (supporting evidence only)": m.shimmer_local}
    sections = {
        "QUESTION": inp.question,
        "QUESTION KIND": inp.topic_kind,
        "REFERENCE ANSWER": inp.reference_answer,
        "KEY POINTS": list(inp.key_points),
        "KEY POINTS COVERED (with the sentence that covered each)": [list(c) for c in inp.covered],
        "KEY POINTS MISSED": list(inp.missed),
        "ANSWER MODE": "typed" if not inp.voice else "spoken",
        "TRANSCRIPT": inp.transcript,
        "DURATION_S": inp.duration_s,
        "MEASUREMENTS": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in measurements.items()
                         if v is not None},
        "TARGET BANDS": {key: band.text for key, band in BANDS.items()},
        "WITHHELD": offline.withheld,
        "CAVEATS": offline.caveats,
    }
    return "\n\n".join(f"{title}:\n{json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
                       for title, value in sections.items())


def _reconcile(gemini: Feedback, offline: Feedback, *, behavioral: bool) -> StoredFeedback:
    """Hold Gemini's reply to the offline coach's honesty and evidence rules, and flag score disagreements."""
    disagreement: dict[str, float] = {}
    scores = {}
    for name in ("content", "delivery", "structure"):
        g, o = getattr(gemini.scores, name), getattr(offline.scores, name)
        if o is None or g is None:
            # Delivery withheld offline (typed, silent, clipped) stays withheld whatever Gemini says.
            scores[name] = o
            continue
        if abs(g - o) > DISAGREEMENT_POINTS:
            disagreement[name] = float(g - o)
            scores[name] = o
        else:
            scores[name] = g
    improvements = [p for p in gemini.improvements if p.evidence]
    if len(improvements) < len(gemini.improvements):
        log.info("dropped %d Gemini improvements without evidence", len(gemini.improvements) - len(improvements))
    withheld = list(dict.fromkeys([*offline.withheld, *gemini.withheld]))
    caveats = list(dict.fromkeys([*offline.caveats, *gemini.caveats]))
    return StoredFeedback(
        scores=Scores(**scores), summary=gemini.summary, strengths=gemini.strengths,
        improvements=improvements or offline.improvements,
        stronger_answer_outline=gemini.stronger_answer_outline or offline.stronger_answer_outline,
        star=(gemini.star or offline.star) if behavioral else None,
        withheld=withheld, caveats=caveats, engine="gemini", model=settings.GEMINI_MODEL,
        disagreement=disagreement or None,
    )


def feedback_compose(*, inp: CoachInput) -> StoredFeedback:
    """The feedback for one answer: Gemini's, checked against the offline coach, or the offline coach's own."""
    offline = coach_feedback(inp)
    if gemini_configured():
        try:
            reply = gemini_generate(schema=Feedback, system=SYSTEM_PROMPT, prompt=_prompt(inp, offline))
            return _reconcile(reply, offline, behavioral=inp.behavioral)
        except GeminiError as exc:
            log.warning("Gemini feedback failed (%s); using the offline coach", exc.reason)
    return StoredFeedback(**offline.model_dump(), engine="offline")


def answer_feedback_generate(*, answer_id: int, force: bool = False) -> Answer:
    """Compute and store an answer's feedback, its engine and its delivery and structure scores.

    Idempotent: an answer that already has feedback is returned unchanged unless `force`.
    """
    answer = Answer.objects.select_related("question", "question__topic").get(pk=answer_id)
    if answer.feedback and answer.feedback_engine and not force:
        return answer
    Answer.objects.filter(pk=answer_id).update(progress="feedback")
    stored = feedback_compose(inp=coach_input_from_answer(answer))
    with transaction.atomic():
        answer = (Answer.objects.select_for_update(of=("self",))
                  .select_related("question", "question__topic")).get(pk=answer_id)
        if answer.feedback and answer.feedback_engine and not force:
            return answer  # a concurrent run stored it first
        answer.feedback = stored.model_dump(mode="json")
        answer.feedback_engine = stored.engine
        answer.delivery_score = stored.scores.delivery
        answer.structure_score = stored.scores.structure
        answer.save(update_fields=["feedback", "feedback_engine", "delivery_score", "structure_score"])
    return answer
