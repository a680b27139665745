"""The offline coach: deterministic feedback built from the measurements, the transcript and the key points.

Every sentence it writes is assembled from this answer's own numbers and words (quotes, measured values, the
key points it covered or missed), so two different answers never get the same text and the same answer always
gets the same text. It is honest about what the recording supports: typed answers get no delivery judgement;
mostly silent or clipped audio and low-confidence transcripts withhold the judgements they cannot carry
(see `measures.gates_for`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.measures import (
    BANDS,
    JITTER_TYPICAL_MAX,
    SHIMMER_TYPICAL_MAX,
    Measures,
    delivery_score,
    gates_for,
    measures_read,
    pause_length,
    pause_start,
)
from pipeline.text import clause, prose_list
from rag.feedback.star import StarResult, sentences_split, star_detect
from rag.feedback_schema import Evidence, Feedback, IncorrectPoint, Point, PointJudgement, Scores

_WORD = re.compile(r"[a-z0-9']+")
_STOP_TEXT = (
    "a an the and or but if of to in on at for with by from as is are was were be been being it its this that these "
    "those i you he she we they me my our your their them us so do does did have has had not no can could would "
    "should will just than then there here what which who when where how why about into over also very really"
)
_STOP = frozenset(_STOP_TEXT.split(" "))
# Signposts count only where they organise the answer: at the start of a sentence or clause ("First, ...",
# "..., which means ..."). Anywhere else they are ordinary words: "in my first job" or "then I left" is not
# signposting, and a ramble full of such words once got "clear signposting" and structure 92.
_SIGNPOSTS = ("first", "second", "third", "finally", "for example", "for instance", "however", "on the other hand",
              "in short", "to summarise", "to summarize", "the reason is", "which means", "as a result", "trade-off",
              "tradeoff", "in contrast", "overall", "to start", "next", "the main", "in summary")
_SIGNPOST_RE = {s: re.compile(rf"(?:^|[.!?;:]\s+|,\s+)(?:and\s+|so\s+)?{re.escape(s)}\b(?!\s+(?:job|time|year|day|"
                              rf"week|role|company|project|of|thing|one))", re.I) for s in _SIGNPOSTS}
_EXAMPLE_MARKERS = ("for example", "for instance", "such as", "e.g.", "in my last", "in my previous", "in one project",
                    "at my last", "at my previous", "we once", "i once", "imagine")
# A concrete example names something: a number, a named thing or a measured change, in a sentence on the topic.
_CONCRETE = re.compile(r"\d|\b(?:seconds?|minutes?|hours?|days?|users?|requests?|rows?|queries|percent|faster|"
                       r"slower|dropped|rose|went from|reduced|increased|cut)\b", re.I)
_HEDGE_FALLBACK = ("i think", "i guess", "maybe", "probably", "i'm not sure", "i am not sure", "sort of", "kind of",
                   "i believe", "i suppose")
IDEAL_WORDS = (60, 300)
QUOTE_MIN_RELEVANCE = 0.5       # under it the answer mostly does not address the question
QUOTE_MIN_FUNCTION_SHARE = 0.2  # under it the answer reads as a list of terms (explanations run at 0.3-0.5)


@dataclass(frozen=True)
class CoachInput:
    """Everything the coach reads, detached from the database so it is a pure function of its input."""

    question: str
    topic_kind: str
    reference_answer: str
    key_points: tuple[str, ...]
    transcript: str
    input_mode: str
    signal: Mapping[str, Any]
    delivery: Mapping[str, Any]
    content_score: float | None
    similarity: float | None
    covered: tuple[tuple[str, str | None], ...]
    missed: tuple[str, ...]
    transcript_confidence: float | None
    duration_s: float | None = None
    speaking_time_s: float | None = None
    # The judge's verdicts beyond covered/missed: [{point, sentence, correction, why}] stated wrongly, the share of
    # the answer on the question (0..1, None before judgement existed) and [{code, message, severity, sentence}].
    contradicted: tuple[Mapping[str, Any], ...] = ()
    relevance: float | None = None
    red_flags: tuple[Mapping[str, Any], ...] = ()

    @property
    def voice(self) -> bool:
        return self.input_mode != "text"

    @property
    def behavioral(self) -> bool:
        return self.topic_kind == "behavioral"


def _key_point(item: Any) -> tuple[str, str | None]:
    """A covered key point as (point, covering sentence); the scorer may store strings or dicts."""
    if isinstance(item, str):
        return item, None
    if isinstance(item, Mapping):
        point = next((item[k] for k in ("point", "key_point", "text") if isinstance(item.get(k), str)), "")
        sentence = next((item[k] for k in ("sentence", "evidence", "quote", "matched") if isinstance(item.get(k), str)),
                        None)
        return point, sentence
    return str(item), None


def coach_input_from_answer(answer: Any) -> CoachInput:
    """Read an Answer (with question and topic loaded) into the coach's input."""
    question = answer.question
    contradicted = tuple(c for c in getattr(answer, "key_points_contradicted", None) or []
                         if isinstance(c, Mapping) and c.get("point"))
    wrong = {str(c["point"]) for c in contradicted}
    return CoachInput(
        question=question.text, topic_kind=getattr(question.topic, "kind", "technical"),
        reference_answer=question.reference_answer or "",
        key_points=tuple(str(k) for k in question.key_points or []), transcript=answer.transcript or "",
        input_mode=answer.input_mode, signal=answer.signal or {}, delivery=answer.delivery or {},
        content_score=answer.content_score, similarity=answer.similarity,
        # A point is quoted as made only when the judge found it covered and nowhere contradicted.
        covered=tuple(kp for kp in (_key_point(i) for i in answer.key_points_covered or [])
                      if kp[0] and kp[0] not in wrong),
        missed=tuple(p for p, _ in (_key_point(i) for i in answer.key_points_missed or []) if p and p not in wrong),
        transcript_confidence=answer.transcript_confidence, duration_s=answer.duration_s,
        speaking_time_s=answer.speaking_time_s, contradicted=contradicted,
        relevance=getattr(answer, "relevance", None),
        red_flags=tuple(f for f in getattr(answer, "red_flags", None) or []
                        if isinstance(f, Mapping) and f.get("code")),
    )


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _content_words(text: str) -> set[str]:
    return {w for w in _words(text) if w not in _STOP and len(w) > 2}


def _stems(text: str) -> set[str]:
    """Content words cut to five letters: "indexed" and "indexes" are the same topic."""
    return {w[:5] for w in _content_words(text)}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _q(text: str) -> str:
    # The whole sentence, never cut (a quote ending in "…" reads as if the candidate trailed off); its closing
    # punctuation goes, since the quote sits inside a sentence of the coach's own.
    return f"“{clause(text)}”"


def _whole(text: str) -> str:
    """A quoted sentence for evidence: whole, on one line."""
    return " ".join(str(text or "").split())


def _mmss(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _metric(m: Measures, key: str, text: str, value: float | None) -> Evidence:
    band = BANDS.get(key)
    return Evidence(kind="metric", text=text, metric=key, value=None if value is None else round(value, 2),
                    target=band.text if band else None)


def _context_quote(transcript: str, phrase: str) -> str | None:
    """The first sentence that says the phrase, whole (a few words either side read as a cut quote)."""
    target = phrase.lower().split()
    for sentence in sentences_split(transcript):
        lowered = [re.sub(r"[^\w']", "", t.lower()) for t in sentence.split()]
        if any(lowered[i:i + len(target)] == target for i in range(len(lowered) - len(target) + 1)):
            return _whole(sentence)
    return None


class _Builder:
    """Assembles one Feedback; one method per kind of judgement."""

    def __init__(self, inp: CoachInput) -> None:
        self.inp = inp
        self.sentences = sentences_split(inp.transcript)
        self.word_count = len(_words(inp.transcript))
        self.m = measures_read(signal=inp.signal, delivery=inp.delivery, voice=inp.voice, word_count=self.word_count,
                               duration_s=inp.duration_s, speaking_time_s=inp.speaking_time_s,
                               transcript_confidence=inp.transcript_confidence)
        self.gates = gates_for(self.m)
        self.star: StarResult | None = star_detect(inp.transcript) if inp.behavioral else None
        if self.star is not None and any(f.get("code") == "no_result" for f in inp.red_flags):
            # The judge found no outcome (or an outcome denied): a result cue word does not make one.
            self.star = StarResult(parts=tuple(p.model_copy(update={"present": False, "quote": None})
                                               if p.part == "result" else p for p in self.star.parts))
        self.strengths: list[tuple[float, Point]] = []
        self.improvements: list[tuple[float, Point]] = []
        self.withheld: list[str] = []
        self.incorrect: list[IncorrectPoint] = []
        self.caveats: list[str] = []
        self._signposts: list[str] = []

    # --- honesty ------------------------------------------------------------------------------------------

    def honesty(self) -> None:
        m = self.m
        if not self.inp.voice:
            self.withheld.append("Delivery: this answer was typed, so there is no voice to judge (pace, pauses, "
                                 "fillers and pitch need a spoken answer).")
            return
        if m.mostly_silent:
            speaking = f"{m.speaking_time_s:.1f} s of speech" if m.speaking_time_s is not None else "little speech"
            silence = (f" ({m.silence_fraction:.0%} of {m.duration_s:.0f} s was silence)"
                       if m.silence_fraction is not None and m.duration_s else "")
            self.withheld.append(f"Delivery: the recording was mostly silence{silence}, with {speaking}; there is "
                                 "not enough voice to judge pace, pauses or pitch. Check the microphone.")
        elif m.mostly_clipped:
            self.withheld.append(f"Delivery: {m.clipping_fraction:.0%} of the audio was clipped (too loud for the "
                                 "microphone), which distorts every voice measure; move back or lower the input "
                                 "gain.")
        else:
            if m.some_clipping:
                self.withheld.append(f"Pitch and loudness: {m.clipping_fraction:.1%} of the audio was clipped, "
                                     "which distorts them, so they are not judged.")
            if m.low_confidence:
                self.withheld.append(f"Pace and filler words: the transcript's confidence is only "
                                     f"{m.transcript_confidence:.0%}, so word counts and timings are not reliable "
                                     "enough to judge.")
        if m.low_confidence:
            self.caveats.append(f"Transcript confidence is low ({m.transcript_confidence:.0%}): the content score "
                                "and quotes may reflect recognition errors rather than what you said.")
        if self.word_count == 0:
            self.withheld.append("Content: no words were recognised, so what you said cannot be judged; the "
                                 "content score is 0 for that reason alone.")

    # --- delivery -----------------------------------------------------------------------------------------

    def pace(self) -> None:
        m, band = self.m, BANDS["wpm"]
        if not self.gates.words or m.wpm is None:
            return
        # The stored pace is over the span from the first word to the last (the live meter's figure), so the
        # sentences quote that span, not the whole recording with its silence before and after.
        span = m.pace_span_s if m.pace_span_s is not None else m.duration_s or 0
        ev = _metric(m, "wpm", f"{m.wpm:.0f} words per minute over {span:.0f} s from your first word to your last",
                     m.wpm)
        if band.contains(m.wpm):
            self.strengths.append((30, Point(
                category="pace", title=f"Comfortable pace: {m.wpm:.0f} wpm",
                detail=f"{self.word_count} words in {span:.0f} s of speaking sits inside the {band.text} range "
                       "listeners follow easily.", evidence=[ev])))
            return
        longest = max(self.sentences, key=len) if self.sentences else ""
        if m.wpm > band.high:
            detail = (f"At {m.wpm:.0f} wpm, {m.wpm - band.high:.0f} above the top of the range, the interviewer has "
                      "to race to follow you. Finish each point, then breathe before the next")
            detail += f", for example after {_q(longest)}." if longest else "."
            title = f"Slow down: {m.wpm:.0f} wpm is faster than {band.text}"
        else:
            detail = (f"At {m.wpm:.0f} wpm, {band.low - m.wpm:.0f} below the range, the answer drags; "
                      "prepare the outline first so the words come without searching")
            detail += f" (you said {self.word_count} words in {span:.0f} s from your first word to your last)."
            title = f"Pick up the pace: {m.wpm:.0f} wpm is slower than {band.text}"
        ev_list = [ev]
        if longest:
            ev_list.append(Evidence(kind="quote", text=_whole(longest)))
        severity = 60 + min(30.0, abs(m.wpm - (band.high if m.wpm > band.high else band.low)))
        self.improvements.append((severity, Point(category="pace", title=_clip(title, 120), detail=_clip(detail, 600),
                                                  evidence=ev_list)))

    def fillers(self) -> None:
        m, band = self.m, BANDS["fillers_per_min"]
        if not self.gates.words or m.fillers_per_min is None:
            return
        if m.fillers_per_min <= band.high:
            if m.duration_s and m.duration_s >= 20 and m.fillers_per_min <= 1.5:
                self.strengths.append((25, Point(
                    category="fillers", title=f"Clean speech: {m.filler_count} filler word(s) in {m.duration_s:.0f} s",
                    detail=f"{m.fillers_per_min:.1f} fillers per minute is well under the {band.text} limit.",
                    evidence=[_metric(m, "fillers_per_min", f"{m.fillers_per_min:.1f} fillers per minute",
                                      m.fillers_per_min)])))
            return
        top = m.filler_counts[:3]
        listed = _join(f"“{word}” ×{count}" for word, count in top)
        evidence = [_metric(m, "fillers_per_min", f"{m.filler_count} fillers in {m.duration_s or 0:.0f} s",
                            m.fillers_per_min)]
        for word, _ in top[:2]:
            context = _context_quote(self.inp.transcript, word)
            if context:
                evidence.append(Evidence(kind="quote", text=_whole(context)))
        first_time = next((t for _, t in m.fillers if t is not None), None)
        where = f" The first came at {_mmss(first_time)}." if first_time is not None else ""
        self.improvements.append((55 + min(35.0, 5 * (m.fillers_per_min - band.high)), Point(
            category="fillers", title=_clip(f"Cut the fillers: {m.fillers_per_min:.1f} per minute ({band.text})", 120),
            detail=_clip(f"You used {listed or m.filler_count}.{where} Replace each with a short silent pause: "
                         "silence sounds deliberate, fillers sound unsure.", 600),
            evidence=evidence)))

    def hedges(self) -> None:
        if self.inp.voice and not self.gates.words:
            return
        if self.inp.voice:
            phrases = [h for h, _ in self.m.hedges]
        else:  # typed: no transcription metrics, so find the hedges in the text itself
            lowered = self.inp.transcript.lower()
            phrases = [h for h in _HEDGE_FALLBACK for _ in re.finditer(rf"\b{re.escape(h)}\b", lowered)]
        if len(phrases) < 3:
            return
        distinct = sorted(set(phrases), key=lambda h: (-phrases.count(h), h))[:3]
        quotes = [c for c in (_context_quote(self.inp.transcript, h) for h in distinct) if c]
        self.improvements.append((40 + 2 * len(phrases), Point(
            category="hedges", title=_clip(f"Sound surer: {len(phrases)} hedges such as “{distinct[0]}”", 120),
            detail=_clip(f"Hedges ({_join('“' + h + '”' for h in distinct)}) undercut points you know. State the "
                         "claim, then give the condition under which it changes.", 600),
            evidence=[Evidence(kind="quote", text=_whole(q)) for q in quotes[:2]]
            or [Evidence(kind="metric", text=f"{len(phrases)} hedges", metric="hedge_count", value=len(phrases))])))

    def pauses(self) -> None:
        m, band = self.m, BANDS["long_pauses_per_min"]
        if not self.gates.delivery or m.long_pauses_per_min is None:
            return
        if band.contains(m.long_pauses_per_min) and (m.longest_pause_s or 0) <= 5:
            if m.pause_count:
                self.strengths.append((15, Point(
                    category="pauses", title=f"Measured pauses: {m.pause_count} short breaks, none too long",
                    detail=f"The longest pause was {m.longest_pause_s or 0:.1f} s: pauses that give the listener "
                           "time to follow without losing the thread.",
                    evidence=[_metric(m, "long_pauses_per_min", f"{m.long_pause_count} long pauses",
                                      m.long_pauses_per_min)])))
            return
        longest = max(m.pauses, key=lambda p: pause_length(p) or 0, default=None)
        where = ""
        if longest is not None and pause_start(longest) is not None:
            where = f" The longest began at {_mmss(pause_start(longest) or 0)}"
            before = next((longest[k] for k in ("word_before", "after_word", "prev_word") if
                           isinstance(longest.get(k), str)), None)
            where += f", after “{before}”." if before else "."
        self.improvements.append((45 + 10 * min(3.0, m.long_pauses_per_min - (band.high or 0)), Point(
            category="pauses",
            title=_clip(f"{m.long_pause_count} long pauses, the longest {m.longest_pause_s or 0:.1f} s", 120),
            detail=_clip(f"{m.long_pauses_per_min:.1f} pauses of 2 s or more per minute ({band.text}).{where} A "
                         "thinking pause before you start is fine; mid-answer, bridge with the structure instead "
                         "(“the second reason is…”).", 600),
            evidence=[_metric(m, "long_pauses_per_min", f"{m.long_pause_count} pauses ≥ 2 s in "
                              f"{m.duration_s or 0:.0f} s", m.long_pauses_per_min),
                      Evidence(kind="metric", text=f"longest pause {m.longest_pause_s or 0:.1f} s",
                               metric="longest_pause_s", value=m.longest_pause_s, target="≤ 5 s")])))

    def _voice_steadiness(self) -> list[Evidence]:
        """Jitter and shimmer as supporting evidence only (never a judgement or score on their own)."""
        m, out = self.m, []
        if m.jitter_local is not None and m.jitter_local > JITTER_TYPICAL_MAX:
            out.append(Evidence(kind="metric", text=f"jitter {m.jitter_local:.2%}: a less steady voice, often "
                                "tension", metric="jitter_local", value=round(m.jitter_local, 4),
                                target=f"< {JITTER_TYPICAL_MAX:.2%} typical"))
        if m.shimmer_local is not None and m.shimmer_local > SHIMMER_TYPICAL_MAX:
            out.append(Evidence(kind="metric", text=f"shimmer {m.shimmer_local:.2%}: uneven loudness from cycle to "
                                "cycle", metric="shimmer_local", value=round(m.shimmer_local, 4),
                                target=f"< {SHIMMER_TYPICAL_MAX:.2%} typical"))
        return out

    def pitch(self) -> None:
        m, band = self.m, BANDS["pitch_std_st"]
        if not self.gates.voice_quality or m.pitch_std_st is None:
            return
        ev = _metric(m, "pitch_std_st", f"pitch spread {m.pitch_std_st:.1f} semitones", m.pitch_std_st)
        if m.pitch_std_st < (band.low or 0) or m.monotone:
            range_text = f" and a range of {m.pitch_range_st:.1f} st" if m.pitch_range_st is not None else ""
            first = self.sentences[0] if self.sentences else ""
            self.improvements.append((50 + 15 * max(0.0, (band.low or 0) - m.pitch_std_st), Point(
                category="pitch", title=_clip(f"Vary your pitch: {m.pitch_std_st:.1f} st of spread sounds flat", 120),
                detail=_clip(f"A spread of {m.pitch_std_st:.1f} semitones{range_text} (target {band.text}) reads as "
                             "monotone. Lift your voice on the key word of each point"
                             + (f", as in {_q(first)}" if first else "") + ", and drop it at the end of "
                             "statements.", 600),
                evidence=[ev, *self._voice_steadiness()])))
        elif m.pitch_std_st >= 3:
            self.strengths.append((20, Point(
                category="pitch", title=f"Expressive voice: {m.pitch_std_st:.1f} st of pitch variation",
                detail=f"Your pitch moved around a median of {m.pitch_median_hz or 0:.0f} Hz, which keeps the "
                       "listener engaged.", evidence=[ev])))

    def loudness(self) -> None:
        m, band = self.m, BANDS["loudness_std_db"]
        if not self.gates.voice_quality or m.loudness_std_db is None or band.contains(m.loudness_std_db):
            return
        flat = m.loudness_std_db < (band.low or 0)
        title = (f"Use volume for emphasis: loudness varied only {m.loudness_std_db:.1f} dB" if flat
                 else f"Steady your volume: loudness swung {m.loudness_std_db:.1f} dB")
        detail = (f"Your loudness moved {m.loudness_std_db:.1f} dB around {m.loudness_mean_dbfs or 0:.0f} dBFS "
                  f"(target {band.text}). ")
        detail += ("Stress the words that carry the point a little louder." if flat else
                   "Keep a constant distance to the microphone and finish sentences at the same strength.")
        self.improvements.append((35, Point(
            category="loudness", title=_clip(title, 120), detail=_clip(detail, 600),
            evidence=[_metric(m, "loudness_std_db", f"loudness variation {m.loudness_std_db:.1f} dB",
                              m.loudness_std_db), *self._voice_steadiness()])))

    # --- content and structure ----------------------------------------------------------------------------

    def _quotable(self) -> bool:
        """Whether a covered verdict is trusted enough to be praised with a quote. Not in an answer that mostly
        misses the question, fails a red flag, is a list of terms, or (behavioral) raises any red flag: there a
        "covered" sentence is more often a coincidence of words than the point made (measured with
        `manage.py behavioral_evaluate --feedback`)."""
        inp = self.inp
        if inp.relevance is not None and inp.relevance < QUOTE_MIN_RELEVANCE:
            return False
        if any(f.get("severity") == "fail" for f in inp.red_flags) or (inp.behavioral and inp.red_flags):
            return False
        words = _words(inp.transcript)
        return not words or sum(w in _STOP for w in words) / len(words) >= QUOTE_MIN_FUNCTION_SHARE

    def key_points(self) -> None:
        inp = self.inp
        # A sentence that states something wrong is never evidence of a point made, even if it also names one.
        wrong = {str(c.get("sentence") or "") for c in inp.contradicted}
        quotable = [(p, s) for p, s in inp.covered if s not in wrong] if self._quotable() else []
        for point, sentence in quotable[:2]:
            evidence = [Evidence(kind="quote", text=_whole(sentence))] if sentence else [
                Evidence(kind="key_point", text=_clip(point, 200))]
            self.strengths.append((40, Point(
                category="key_points", title=_clip(f"Covered: {point}", 120),
                detail=_clip("You made this point" + (f" when you said {_q(sentence)}." if sentence else "."),
                             600), evidence=evidence)))
        if not inp.missed or self.word_count == 0:
            return
        # The points by name only: the model answer is on the page after the candidate's own, so repeating its
        # sentences here ("the reference puts it: …") showed them twice, and cut.
        lines = [_q(point) for point in inp.missed[:3]]
        total = len(inp.covered) + len(inp.missed) + len(inp.contradicted)
        self.improvements.append((70 + 5 * len(inp.missed), Point(
            category="key_points",
            title=_clip(f"Missed {len(inp.missed)} of {total} key points: {inp.missed[0]}", 120),
            detail=_clip("Add " + prose_list(lines) + ".", 600),
            evidence=[Evidence(kind="key_point", text=_clip(p, 200)) for p in inp.missed[:4]])))

    def incorrect_points(self) -> None:
        """The Incorrect section: every contradicted point, with what was said, the correction and why it matters.
        It also leads the improvements, since a wrong statement costs more than a gap."""
        for item in self.inp.contradicted[:6]:
            point, said = str(item.get("point") or ""), str(item.get("sentence") or "")
            correction = str(item.get("correction") or "") or point
            why = str(item.get("why") or "") or ("An interviewer who hears a wrong statement stated confidently "
                                                 "doubts the rest of the answer, even the parts that are right.")
            self.incorrect.append(IncorrectPoint(point=_clip(point, 300), said=_clip(said, 300),
                                                 correction=_clip(correction, 400), why=_clip(why, 400)))
        if not self.incorrect:
            return
        first = self.incorrect[0]
        more = f" (and {len(self.incorrect) - 1} more, listed under Incorrect)" if len(self.incorrect) > 1 else ""
        self.improvements.append((100 + 5 * len(self.incorrect), Point(
            category="incorrect", title=_clip(f"Correct this: {first.point}", 120),
            detail=_clip(f"You said {_q(first.said)}, but {clause(first.correction)}.{more}", 600),
            evidence=[Evidence(kind="quote", text=_whole(i.said)) for i in self.incorrect[:2] if i.said]
            or [Evidence(kind="key_point", text=_clip(first.point, 200))])))

    def red_flags(self) -> None:
        """Behavioral red flags, each with the judge's explanation and the sentence that raised it."""
        titles = {"blame": "Own your part instead of blaming others", "no_result": "Finish the story with a result",
                  "we_only": "Say what you did: “I”, not only “we”",
                  "disguised_strength": "Name a real weakness, not a strength in disguise",
                  "off_question": "Answer the question that was asked",
                  "vague": "Tell one specific situation, not what you usually do"}
        for flag in self.inp.red_flags[:4]:
            code = str(flag.get("code"))
            sentence = str(flag.get("sentence") or "")
            severity = 110 if flag.get("severity") == "fail" else 85
            self.improvements.append((severity, Point(
                category="red_flag", title=_clip(titles.get(code, f"Red flag: {code}"), 120),
                detail=_clip(str(flag.get("message") or titles.get(code, code)), 600),
                evidence=[Evidence(kind="quote", text=_whole(sentence))] if sentence
                else [Evidence(kind="key_point", text=f"red flag: {code}")])))

    def verdicts(self) -> list[PointJudgement]:
        """Every key point's verdict by index (the one schema Gemini is also asked to fill)."""
        covered = dict(self.inp.covered)
        wrong = {str(c.get("point")): str(c.get("sentence") or "") for c in self.inp.contradicted}
        out = []
        for index, point in enumerate(self.inp.key_points[:12]):
            if point in wrong:
                out.append(PointJudgement(index=index, verdict="contradicted", sentence=wrong[point]))
            elif point in covered:
                out.append(PointJudgement(index=index, verdict="covered", sentence=covered[point] or ""))
            else:
                out.append(PointJudgement(index=index, verdict="missed"))
        return out

    def star_parts(self) -> None:
        if self.star is None or self.word_count == 0:
            return
        present, missing = self.star.present, self.star.missing
        if not missing:
            self.strengths.append((45, Point(
                category="star", title="Complete STAR story",
                detail=_clip("Situation, task, action and result are all there; the result landed with "
                             + _q(self.star.parts[3].quote or "") + ".", 600),
                evidence=[Evidence(kind="quote", text=p.quote or "") for p in self.star.parts if p.quote][:2])))
            return
        advice = {"situation": "set the scene in one or two sentences (where, when, what was at stake)",
                  "task": "say what you had to achieve and why it was yours",
                  "action": "walk through what you did yourself, with “I”, step by step",
                  "result": "end with the outcome, ideally a number, and what you learned"}
        have = f" You did cover the {_join(present)}." if present else ""
        self.improvements.append((65 + 5 * len(missing), Point(
            category="star", title=_clip(f"Complete the STAR story: add the {_join(missing)}", 120),
            detail=_clip(" ".join(f"{p.capitalize()}: {advice[p]}." for p in missing) + have, 600),
            evidence=[Evidence(kind="key_point", text=f"STAR {p}: missing") for p in missing]
            + [Evidence(kind="quote", text=p.quote) for p in self.star.parts if p.quote][:1])))

    def length(self) -> None:
        n, low, high = self.word_count, *IDEAL_WORDS
        if n == 0:
            return
        ev = Evidence(kind="metric", text=f"{n} words", metric="word_count", value=n, target=f"{low}–{high} words")
        if n < low:
            self.improvements.append((60 + (low - n) / 2, Point(
                category="length", title=f"Develop the answer: {n} words is too brief",
                detail=_clip(f"The whole answer was {_q(self.inp.transcript)}. Give the reason behind it and "
                             "one concrete example.", 600), evidence=[ev])))
        elif n > high:
            self.improvements.append((40 + min(30.0, (n - high) / 20), Point(
                category="length", title=f"Tighten it: {n} words loses the thread",
                detail=_clip(f"Lead with the answer, then at most three supporting points; you could end after "
                             f"{_q(self.sentences[min(len(self.sentences) - 1, 3)])}." if self.sentences else
                             "Lead with the answer, then at most three supporting points.", 600), evidence=[ev])))

    def structure_points(self) -> None:
        if self.word_count < 25:
            return
        signposts = [s for s in _SIGNPOSTS if _SIGNPOST_RE[s].search(self.inp.transcript)]
        # Signposts in an answer that mostly does not address the question organise nothing.
        if len(signposts) >= 2 and (self.inp.relevance is None or self.inp.relevance >= 0.5):
            self.strengths.append((20, Point(
                category="structure", title=_clip(f"Clear signposting: {_join('“' + s + '”' for s in signposts[:3])}",
                                                  120),
                detail="Signpost words tell the listener where the answer is going and make it easy to follow.",
                evidence=[Evidence(kind="quote", text=_whole(c)) for c in
                          (_context_quote(self.inp.transcript, s) for s in signposts[:2]) if c])))
        example = self._example_sentence()
        has_example = example is not None
        if not self.inp.behavioral and not has_example and self.word_count >= 40:
            abstract = max(self.sentences, key=lambda s: len(_content_words(s)), default="")
            self.improvements.append((30, Point(
                category="examples", title="Ground it in an example",
                detail=_clip(f"The answer stays abstract; after {_q(abstract)} add “for example, …” with a "
                             "case you have seen or built.", 600),
                evidence=[Evidence(kind="quote", text=_whole(abstract))])))
        elif has_example and not self.inp.behavioral:
            sentence = example or ""
            self.strengths.append((18, Point(
                category="examples", title="Concrete example",
                detail=_clip("You grounded the explanation in a case" + (f": {_q(sentence)}." if sentence
                                                                         else "."), 600),
                evidence=[Evidence(kind="quote", text=_whole(sentence))] if sentence else [])))
        self._signposts = signposts

    def _example_sentence(self) -> str | None:
        """The first sentence that gives a concrete example on the topic: a marker ("for example", "in my last
        project"), something concrete (a number, a measured change) and at least one word of the question, its
        key points or its reference answer. A marker alone ("in my first job I was...") is filler."""
        topic = _stems(" ".join((self.inp.question, *self.inp.key_points, self.inp.reference_answer)))
        for sentence in self.sentences:
            lowered = sentence.lower()
            if (any(m in lowered for m in _EXAMPLE_MARKERS) and _CONCRETE.search(sentence)
                    and _stems(sentence) & topic):
                return sentence
        return None

    # --- scores and text ----------------------------------------------------------------------------------

    def content_score(self) -> int:
        inp = self.inp
        if self.word_count == 0:
            return 0
        if inp.content_score is not None:
            return max(0, min(100, round(inp.content_score)))
        total = len(inp.covered) + len(inp.missed) + len(inp.contradicted)
        if total:
            return round(100 * len(inp.covered) / total)
        return max(0, min(100, round((inp.similarity or 0) * 100)))

    def structure_score(self) -> int:
        n = self.word_count
        if n == 0:
            return 0
        low, high = IDEAL_WORDS
        length = 100 if low <= n <= high else max(0.0, 100 - (low - n) * 1.5 if n < low else 100 - (n - high) / 4)
        signposts = min(100, 35 * len(self._signposts))
        opening = self.sentences[0] if self.sentences else ""
        direct = 100 if _content_words(opening) & (_content_words(self.inp.question) |
                                                   _content_words(" ".join(self.inp.key_points))) else 40
        lengths = [len(_words(s)) for s in self.sentences] or [n]
        runon = max(0.0, 100 - max(0, sum(lengths) / len(lengths) - 30) * 4)
        score = 0.35 * length + 0.25 * signposts + 0.25 * direct + 0.15 * runon
        if self.star is not None:
            score = 0.6 * (100 * len(self.star.present) / 4) + 0.4 * score
        if self.inp.relevance is not None:
            # An answer is only as well structured as the share of it that answers the question: a ramble with the
            # core buried in waffle is not well organised however tidy its sentences.
            score *= 0.4 + 0.6 * max(0.0, min(1.0, self.inp.relevance))
        if any(f.get("severity") == "fail" for f in self.inp.red_flags):
            score = min(score, 40.0)
        return max(0, min(100, round(score)))

    def outline(self) -> list[str]:
        inp = self.inp
        lines = []
        # Wrong statements are fixed first: a stronger answer starts by not saying them.
        for item in self.incorrect[:3]:
            lines.append(f"Correct: {clause(item.correction)} (not {_q(item.said)})")
        ref = sentences_split(inp.reference_answer)
        if ref:
            lines.append(_clip(f"Open with the direct answer: {ref[0]}", 220))
        covered = {p for p, _ in inp.covered}
        wrong = {i.point for i in self.incorrect}
        for point in inp.key_points:
            if len(lines) >= 6:
                break
            if point in wrong:
                continue
            lines.append(_clip(("Keep: " if point in covered else "Add: ") + point, 220))
        if self.star is not None:
            for part in self.star.parts:
                if not part.present and len(lines) < 7:
                    lines.append(f"{part.part.capitalize()}: missing; add it in story order.")
        closing = ("Close with the result in numbers and what you would do differently."
                   if inp.behavioral else "Close with a trade-off or when you would choose differently.")
        lines.append(closing)
        return lines[:8]

    def summary(self, scores: Scores) -> str:
        inp, m = self.inp, self.m
        opening = self.sentences[0] if self.sentences else ""
        if self.word_count == 0:
            spoken = f"{m.duration_s:.1f} s recorded, " if m.duration_s else ""
            return _clip(f"No words were recognised ({spoken}silence {m.silence_fraction or 0:.0%}) for "
                         f"{_q(inp.question)}; try again closer to the microphone.", 800)
        parts = [f"{'Typed' if not inp.voice else 'Spoken'} answer of {self.word_count} words"
                 + (f" in {m.duration_s:.0f} s" if inp.voice and m.duration_s else "")
                 + f", opening with {_q(opening)}."]
        total = len(inp.covered) + len(inp.missed) + len(inp.contradicted)
        if inp.contradicted:
            parts.append(f"It got {len(inp.contradicted)} key point{'s' if len(inp.contradicted) != 1 else ''} "
                         f"wrong: {_q(str(inp.contradicted[0].get('point')))}.")
        if total:
            parts.append(f"It covered {len(inp.covered)} of {total} key points"
                         + (f"; the biggest gap is {_q(inp.missed[0])}." if inp.missed else "."))
        if self.star is not None:
            parts.append("STAR: " + (f"{_join(self.star.present)} present" if self.star.present else "no part found")
                         + (f", {_join(self.star.missing)} missing." if self.star.missing else "."))
        if scores.delivery is not None:
            details = []
            if m.wpm is not None and self.gates.words:
                details.append(f"{m.wpm:.0f} wpm")
            if m.fillers_per_min is not None and self.gates.words:
                details.append(f"{m.fillers_per_min:.1f} fillers/min")
            if m.pitch_std_st is not None and self.gates.voice_quality:
                details.append(f"{m.pitch_std_st:.1f} st pitch spread")
            parts.append(f"Delivery {scores.delivery}/100" + (f" ({', '.join(details)})." if details else "."))
        return _clip(" ".join(parts), 800)


def coach_feedback(inp: CoachInput) -> Feedback:
    """The offline coach's feedback on one answer: a pure, deterministic function of `inp`."""
    b = _Builder(inp)
    b.honesty()
    for step in (b.incorrect_points, b.red_flags, b.key_points, b.star_parts, b.length, b.structure_points, b.pace,
                 b.fillers, b.hedges, b.pauses, b.pitch, b.loudness):
        step()
    scores = Scores(content=b.content_score(), delivery=delivery_score(b.m) if inp.voice else None,
                    structure=b.structure_score())
    # Highest severity first; ties keep the order above (content before delivery), since sort is stable.
    improvements = [p for _, p in sorted(b.improvements, key=lambda sp: -sp[0])][:6]
    strengths = [p for _, p in sorted(b.strengths, key=lambda sp: -sp[0])][:5]
    return Feedback(
        scores=scores, summary=b.summary(scores), strengths=strengths, improvements=improvements,
        incorrect=b.incorrect, verdicts=b.verdicts(), stronger_answer_outline=b.outline(),
        star=list(b.star.parts) if b.star is not None else None,
        withheld=b.withheld, caveats=b.caveats,
    )
