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
from typing import Any

from django.conf import settings
from django.db import transaction

from interviewprep.gemini import GeminiError, gemini_configured, gemini_generate
from pipeline.measures import BANDS, gates_for, measures_read
from pipeline.records import answer_model
from rag.feedback.coach import CoachInput, coach_feedback, coach_input_from_answer
from rag.feedback_schema import Feedback, Scores, StoredFeedback

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
- "verdicts": one item per key point, by its index in KEY POINTS (from 0): "covered" only when a sentence of the
  answer states the point correctly (put that sentence in "sentence"), "contradicted" when a sentence states
  something the point says is wrong (quote it), else "missed". Judge meaning, not shared words: a negated or
  swapped fact is contradicted, not covered.
- "incorrect": one item per contradicted point: the point, the sentence said, the correction, and why it matters
  to an interviewer. Never write "you made this point" for a point that is not covered.
- Put corrections of contradicted points first in "stronger_answer_outline".
- RED FLAGS found by the offline judge must appear among the improvements (category red_flag) with their reason.
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
        "KEY POINTS": [f"{i}: {p}" for i, p in enumerate(inp.key_points)],
        "KEY POINTS COVERED (with the sentence that covered each)": [list(c) for c in inp.covered],
        "KEY POINTS MISSED": list(inp.missed),
        "KEY POINTS CONTRADICTED (offline judge: point, sentence, correction, why)": [
            {k: str(c.get(k) or "") for k in ("point", "sentence", "correction", "why")} for c in inp.contradicted],
        "RED FLAGS": [{"code": f.get("code"), "reason": f.get("message"), "sentence": f.get("sentence")}
                      for f in inp.red_flags],
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


def _reconcile(gemini: Feedback, offline: Feedback, *, behavioral: bool,
               points: tuple[str, ...] = ()) -> StoredFeedback:
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
    # Verdicts come from the offline judge (the same verifier decides every quote); Gemini's are compared with
    # them and each difference recorded, so a disagreeing model is visible rather than silently believed.
    theirs = {v.index: v.verdict for v in gemini.verdicts}
    verdict_disagreements: list[dict[str, str | int]] = [
        {"index": v.index, "point": points[v.index] if v.index < len(points) else "", "offline": v.verdict,
         "gemini": theirs[v.index]}
        for v in offline.verdicts if v.index in theirs and theirs[v.index] != v.verdict]
    if len(theirs) != len(offline.verdicts) or any(i >= len(offline.verdicts) for i in theirs):
        verdict_disagreements.append({"index": -1, "point": "", "offline": f"{len(offline.verdicts)} verdicts",
                                      "gemini": f"{len(theirs)} verdicts"})
    # "You made this point when you said X" only from the offline coach, which writes it for covered points only.
    strengths = [p for p in gemini.strengths if p.category != "key_points"]
    strengths = ([p for p in offline.strengths if p.category == "key_points"] + strengths)[:5]
    # Red flags and corrections found offline stay in the improvements whatever Gemini wrote.
    must = [p for p in offline.improvements if p.category in ("incorrect", "red_flag")]
    improvements = [p for p in gemini.improvements if p.evidence]
    if len(improvements) < len(gemini.improvements):
        log.info("dropped %d Gemini improvements without evidence", len(gemini.improvements) - len(improvements))
    withheld = list(dict.fromkeys([*offline.withheld, *gemini.withheld]))
    caveats = list(dict.fromkeys([*offline.caveats, *gemini.caveats]))
    return StoredFeedback(
        scores=Scores(**scores), summary=gemini.summary, strengths=strengths,
        improvements=(must + [p for p in improvements if p.category not in ("incorrect", "red_flag")])[:6]
        if improvements else offline.improvements,
        incorrect=offline.incorrect, verdicts=offline.verdicts,
        stronger_answer_outline=_outline(gemini, offline),
        star=(gemini.star or offline.star) if behavioral else None,
        withheld=withheld, caveats=caveats, engine="gemini", model=settings.GEMINI_MODEL,
        disagreement=disagreement or None, verdict_disagreements=verdict_disagreements or None,
    )


def _outline(gemini: Feedback, offline: Feedback) -> list[str]:
    """Gemini's outline, with the offline corrections of contradicted points first when it left them out."""
    outline = gemini.stronger_answer_outline or offline.stronger_answer_outline
    corrections = [line for line in offline.stronger_answer_outline if line.startswith("Correct:")]
    rest = [line for line in outline if line not in corrections]
    return (corrections + rest)[:8]


def feedback_compose(*, inp: CoachInput) -> StoredFeedback:
    """The feedback for one answer: Gemini's, checked against the offline coach, or the offline coach's own."""
    offline = coach_feedback(inp)
    if gemini_configured():
        try:
            reply = gemini_generate(schema=Feedback, system=SYSTEM_PROMPT, prompt=_prompt(inp, offline))
            return _reconcile(reply, offline, behavioral=inp.behavioral, points=inp.key_points)
        except GeminiError as exc:
            log.warning("Gemini feedback failed (%s); using the offline coach", exc.reason)
    return StoredFeedback(**offline.model_dump(), engine="offline")


def answer_feedback_generate(*, answer_id: int, force: bool = False) -> Any:
    """Compute and store an answer's feedback, its engine and its delivery and structure scores.

    Idempotent: an answer that already has feedback is returned unchanged unless `force`.
    """
    answer = answer_model().objects.select_related("question", "question__topic").get(pk=answer_id)
    if answer.feedback and answer.feedback_engine and not force:
        return answer
    answer_model().objects.filter(pk=answer_id).update(progress="feedback")
    stored = feedback_compose(inp=coach_input_from_answer(answer))
    with transaction.atomic():
        answer = (answer_model().objects.select_for_update(of=("self",))
                  .select_related("question", "question__topic")).get(pk=answer_id)
        if answer.feedback and answer.feedback_engine and not force:
            return answer  # a concurrent run stored it first
        answer.feedback = stored.model_dump(mode="json")
        answer.feedback_engine = stored.engine
        answer.delivery_score = stored.scores.delivery
        answer.structure_score = stored.scores.structure
        answer.save(update_fields=["feedback", "feedback_engine", "delivery_score", "structure_score"])
    return answer
