"""Delivery measures drawn from words: pace, filler words and hedges with their times, pauses aligned to words.

Filler detection works on the words as engines give them: Whisper and formatted AssemblyAI turns carry
punctuation and casing ("Um,", "like,"), unformatted turns do not, so punctuation is used as evidence when present
and word context otherwise. Ambiguous words ("like", "so", "well", "right", "actually", "basically", "you know",
"I mean") count only in their filler uses; hedges ("I think", "maybe", "kind of", "sort of", "probably",
"I guess", ...) are counted apart. The rules are deliberately conservative: a missed filler costs less than
accusing a candidate of one they did not say. `detect_fillers` is the one function: the live count runs it over
the committed captions, the final count over the stored words (precision and recall: tests/audio/test_fillers.py).

Pace (`wpm`) is words per minute from the first word's start to the last word's end: thinking time before the
first word and after the last is not counted, pauses in between are (a listener hears them). The articulation
rate (`articulation_wpm`) divides by the speaking time without pauses instead and is a different figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from audio.transcription.base import Transcript, Word

# Always fillers, whatever the context. Spelling variants are what Whisper and AssemblyAI actually write.
_HESITATIONS = {"um": "um", "umm": "um", "ummm": "um", "uhm": "um", "hmm": "um", "mm": "um", "uh": "uh", "uhh": "uh",
                "er": "er", "erm": "er", "err": "er", "ah": "ah", "ahh": "ah"}
# Fillers at the start of a sentence or set off by commas ("Actually, ..."), content words otherwise
# ("it actually works", "basically the same").
_ADVERB_FILLERS = {"basically", "actually", "literally"}
_HEDGE_PHRASES = [("i", "think"), ("i", "guess"), ("i", "suppose"), ("i", "believe"), ("i", "feel", "like"),
                  ("i'm", "not", "sure"), ("not", "sure"), ("more", "or", "less"), ("it", "seems"),
                  ("maybe",), ("perhaps",), ("probably",), ("possibly",), ("somewhat",)]
# A sentence-initial "well" without a comma is a filler before these ("well I think", "well we tried"), content
# otherwise ("Well designed tests ...").
_WELL_FILLER_BEFORE = {"i", "we", "you", "it", "so", "that", "they", "um", "uh", "actually", "basically", "like",
                       "yeah", "yes", "no", "okay", "ok", "let", "let's", "first", "there", "this", "the", "my", "in"}
# "like" after these is a verb or a comparison: "I like", "would like", "looks like", "something like".
_LIKE_NOT_FILLER_BEFORE = {
    "i", "you", "we", "they", "he", "she", "people", "would", "i'd", "you'd", "we'd", "they'd", "to", "don't",
    "didn't", "doesn't", "do", "does", "did", "really", "also", "might", "may", "will", "should", "could", "not",
    "who", "look", "looks", "looked", "looking", "seem", "seems", "seemed", "sound", "sounds", "sounded", "feel",
    "feels", "felt", "something", "anything", "nothing", "everything", "things", "stuff", "just", "more", "much",
    "exactly", "very", "a", "the", "is", "are", "be", "been", "what", "act", "acts", "acted", "behave", "behaves",
    "works", "work", "worked", "languages", "tools", "systems",
}
# "like" after these, with no punctuation to tell, is a filler: "and like we shipped it", "so like".
_LIKE_FILLER_BEFORE = {"and", "but", "so", "or", "because", "then"}
_OPENING_LIKE_BEFORE = {"we", "i", "you", "they", "it", "he", "she", "um", "uh", "so", "there", "if"}
_RIGHT_FILLER_BEFORE = {"so", "um", "uh", "well", "okay", "ok", "and", "now", "let's", "let"}
_YOU_KNOW_NOT_FILLER_BEFORE = {"do", "did", "does", "don't", "didn't", "if", "as", "whether", "would", "will", "can",
                               "could", "should", "let", "might", "what", "you'll", "to"}
_YOU_KNOW_NOT_FILLER_AFTER = {"what", "how", "that", "why", "where", "when", "who", "whether", "if", "about", "the",
                              "a", "an", "it", "him", "her", "them", "this", "those", "these", "python", "java"}
_I_MEAN_NOT_FILLER_BEFORE = {"what", "which", "if", "that"}
_I_MEAN_NOT_FILLER_AFTER = {"to", "it", "that", "what"}
_KIND_OF_NOT_FILLER_BEFORE = {"a", "an", "the", "this", "that", "what", "which", "any", "some", "every", "each", "one",
                              "same", "different", "new", "our", "my", "his", "her", "their", "these", "those", "all",
                              "other", "another", "kind", "sort", "what's"}
_SENTENCE_END = re.compile(r"[.?!…]$")
# A gap this long before a word counts as a sentence boundary when there is no punctuation (unformatted turns).
_BOUNDARY_GAP_S = 0.7


@dataclass(frozen=True, slots=True)
class _Token:
    index: int  # position in the word list, so a page can mark the word
    norm: str
    raw: str
    start: float
    end: float
    comma_after: bool
    sentence_end: bool
    sentence_start: bool


def _tokens(words: list[Word]) -> list[_Token]:
    tokens: list[_Token] = []
    for i, w in enumerate(words):
        raw = w.text.strip()
        norm = re.sub(r"[^\w'’-]", "", raw.lower()).replace("’", "'").strip("-'")
        if not norm:
            continue
        previous = tokens[-1] if tokens else None
        sentence_start = (previous is None or previous.sentence_end
                          or (i > 0 and w.start - words[i - 1].end >= _BOUNDARY_GAP_S))
        tokens.append(_Token(index=i, norm=norm, raw=raw, start=float(w.start), end=float(w.end),
                             comma_after=raw.endswith((",", ";", ":", "—", "-", "...")),
                             sentence_end=bool(_SENTENCE_END.search(raw)), sentence_start=sentence_start))
    return tokens


def _item(kind: str, text: str, tokens: list[_Token]) -> dict[str, Any]:
    return {"kind": kind, "text": text, "start": round(tokens[0].start, 3), "end": round(tokens[-1].end, 3),
            "index": tokens[0].index, "length": tokens[-1].index - tokens[0].index + 1}


def _norm_at(tokens: list[_Token], i: int) -> str:
    return tokens[i].norm if 0 <= i < len(tokens) else ""


def _punct_isolated(tokens: list[_Token], i: int, j: int) -> bool:
    """The phrase tokens[i..j] is set off by punctuation (", like,", "You know, ...", "... right?")."""
    before = i == 0 or tokens[i - 1].comma_after or tokens[i - 1].sentence_end
    after = tokens[j].comma_after or tokens[j].sentence_end or j == len(tokens) - 1
    return before and after


def _like_is_filler(tokens: list[_Token], i: int, *, opens: bool) -> bool:
    prev = _norm_at(tokens, i - 1)
    if tokens[i].comma_after or (i > 0 and tokens[i - 1].comma_after and prev not in _LIKE_NOT_FILLER_BEFORE):
        return True  # ", like," or "was, like really" or "Like, I"
    if opens and _norm_at(tokens, i + 1) in _OPENING_LIKE_BEFORE:
        return True  # "like we had no tests" (but "Like Python, Go ..." is a comparison)
    if prev in _LIKE_NOT_FILLER_BEFORE:
        return False
    return prev in _LIKE_FILLER_BEFORE or prev in _HESITATIONS


def _so_is_filler(tokens: list[_Token], i: int, *, opens: bool) -> bool:
    return opens and _norm_at(tokens, i + 1) not in {"that", "far", "much", "many"}


def _right_is_filler(tokens: list[_Token], i: int, *, opens: bool) -> bool:
    token = tokens[i]
    if token.raw.endswith("?"):
        return True  # the tag question "..., right?"
    if _punct_isolated(tokens, i, i) and i > 0 and not token.sentence_end:
        return True  # an aside: "the job finished, right, but the table was empty"
    # "Right, so..." / "Right." / "right so the queue ..." (unpunctuated)
    return opens and (token.comma_after or token.sentence_end or _norm_at(tokens, i + 1) in _RIGHT_FILLER_BEFORE)


def _you_know_is_filler(tokens: list[_Token], i: int) -> bool:
    if _punct_isolated(tokens, i, i + 1) or tokens[i + 1].comma_after:
        return True
    if _norm_at(tokens, i - 1) in _YOU_KNOW_NOT_FILLER_BEFORE:
        return False
    return _norm_at(tokens, i + 2) not in _YOU_KNOW_NOT_FILLER_AFTER


def _i_mean_is_filler(tokens: list[_Token], i: int) -> bool:
    if tokens[i + 1].comma_after:
        return True
    if _norm_at(tokens, i - 1) in _I_MEAN_NOT_FILLER_BEFORE:
        return False
    return _norm_at(tokens, i + 2) not in _I_MEAN_NOT_FILLER_AFTER


def _kind_of_is_hedge(tokens: list[_Token], i: int) -> bool:
    return _norm_at(tokens, i - 1) not in _KIND_OF_NOT_FILLER_BEFORE


def _set_off(tokens: list[_Token], i: int) -> bool:
    """Opens a sentence, or stands between commas ("it was, basically, a cache")."""
    before = i == 0 or tokens[i - 1].comma_after or tokens[i - 1].sentence_end
    return tokens[i].sentence_start or (before and tokens[i].comma_after)


def _adverb_is_filler(tokens: list[_Token], i: int, *, opens: bool) -> bool:
    # Right after a hesitation it carries the same stalling ("I was, um, basically the only one").
    return opens or _set_off(tokens, i) or tokens[i].comma_after or _norm_at(tokens, i - 1) in _HESITATIONS


def _well_is_filler(tokens: list[_Token], i: int, *, opens: bool) -> bool:
    token = tokens[i]
    if _set_off(tokens, i) and token.comma_after:
        return True  # "Well, ..." / "..., well, ..."
    return opens and not token.sentence_end and _norm_at(tokens, i + 1) in _WELL_FILLER_BEFORE


def detect_fillers(words: list[Word]) -> list[dict[str, Any]]:
    """Fillers and hedges in time order: `{"kind": "filler" | "hedge", "text", "start", "end"}`."""
    tokens = _tokens(words)
    found: list[dict[str, Any]] = []
    last_filler = -2  # index of the last token of the last filler found
    run_opens = False  # the run of fillers that ends at last_filler began a sentence
    i = 0
    while i < len(tokens):
        norm = tokens[i].norm
        # "Um, so ..." / "Right, so ...": a word right after fillers that opened a sentence still opens it.
        opens = tokens[i].sentence_start or (last_filler == i - 1 and run_opens)
        phrase = _filler_at(tokens, i, opens=opens)
        if phrase is not None:
            text, size = phrase
            found.append(_item("filler", text, tokens[i : i + size]))
            run_opens = opens
            last_filler = i + size - 1
            i += size
            continue
        hedge = _hedge_at(tokens, i) if norm not in _HESITATIONS else None
        if hedge:
            text, size = hedge
            found.append(_item("hedge", text, tokens[i : i + size]))
            i += size
            continue
        i += 1
    return found


def _filler_at(tokens: list[_Token], i: int, *, opens: bool) -> tuple[str, int] | None:
    """The filler starting at token i as (canonical text, number of tokens), or None."""
    norm = tokens[i].norm
    pair = (norm, _norm_at(tokens, i + 1))
    if norm in _HESITATIONS:
        return _HESITATIONS[norm], 1
    if norm in _ADVERB_FILLERS and _adverb_is_filler(tokens, i, opens=opens):
        return norm, 1
    if pair == ("you", "know") and _you_know_is_filler(tokens, i):
        return "you know", 2
    if pair == ("i", "mean") and _i_mean_is_filler(tokens, i):
        return "i mean", 2
    if norm == "well" and _well_is_filler(tokens, i, opens=opens):
        return "well", 1
    if norm == "like" and _like_is_filler(tokens, i, opens=opens):
        return "like", 1
    if norm == "so" and _so_is_filler(tokens, i, opens=opens):
        return "so", 1
    if norm == "right" and _right_is_filler(tokens, i, opens=opens):
        return "right", 1
    return None


def _hedge_at(tokens: list[_Token], i: int) -> tuple[str, int] | None:
    """The hedge starting at token i as (canonical text, number of tokens), or None."""
    norm = tokens[i].norm
    if (norm, _norm_at(tokens, i + 1)) in {("kind", "of"), ("sort", "of")} and _kind_of_is_hedge(tokens, i):
        return f"{norm} of", 2
    if norm in {"kinda", "sorta"} and _kind_of_is_hedge(tokens, i):
        return norm[:4] + " of", 1
    for phrase in _HEDGE_PHRASES:
        if tuple(_norm_at(tokens, i + k) for k in range(len(phrase))) == phrase:
            return " ".join(phrase), len(phrase)
    return None


def count_words(words: list[Word]) -> int:
    return sum(1 for w in words if re.search(r"\w", w.text))


def _per_minute(count: int, seconds: float | None) -> float | None:
    return round(count / (seconds / 60.0), 1) if seconds and seconds > 0 else None


# Below this span a words-per-minute figure is noise (three words in a second read 180 wpm).
MIN_PACE_SPAN_S = 3.0


def speech_span_s(words: list[Word]) -> float | None:
    """Seconds from the first spoken word's start to the last one's end; None without word times."""
    timed = [w for w in words if re.search(r"\w", w.text)]
    if not timed:
        return None
    span = max(w.end for w in timed) - timed[0].start
    return span if span > 0 else None


def pace_wpm(n_words: int, span_s: float | None) -> float | None:
    """The pace figure: words per minute over the first-word-to-last-word span (see the module docstring)."""
    if not n_words or span_s is None or span_s < MIN_PACE_SPAN_S:
        return None
    return _per_minute(n_words, span_s)


def pace_advice(wpm: float | None) -> str | None:
    """"slow_down", "speed_up" or "ok" against the pace band; the live nudge and the final feedback both use this
    band on this same figure, so they cannot give opposite advice."""
    from pipeline.measures import BANDS

    band = BANDS["wpm"]
    if wpm is None:
        return None
    if band.contains(wpm):
        return "ok"
    return "slow_down" if band.high is not None and wpm > band.high else "speed_up"


def _pause_bounds(pause: Any) -> tuple[float, float] | None:
    if isinstance(pause, dict):
        start = pause.get("start", pause.get("start_s"))
        end = pause.get("end", pause.get("end_s"))
        if end is None and start is not None:
            duration = pause.get("duration", pause.get("duration_s"))
            end = None if duration is None else float(start) + float(duration)
    elif isinstance(pause, list | tuple) and len(pause) >= 2:
        start, end = pause[0], pause[1]
    else:
        return None
    if start is None or end is None:
        return None
    return float(start), float(end)


def align_pauses(words: list[Word], pauses: list[Any]) -> list[dict[str, Any]]:
    """Each signal-stream pause with the word spoken before it and the one after.

    Words are split by their start: Whisper stretches word ends (and sometimes starts) into a following pause, so
    a word that starts before the pause began is "before" even when its end reaches into the pause.
    """
    aligned: list[dict[str, Any]] = []
    for pause in pauses or []:
        bounds = _pause_bounds(pause)
        if bounds is None:
            continue
        start, end = bounds
        after = next((k for k, w in enumerate(words) if w.start >= start), None)
        before = (after if after is not None else len(words)) - 1
        entry = dict(pause) if isinstance(pause, dict) else {}
        entry.update({"start": round(start, 3), "end": round(end, 3), "duration_s": round(end - start, 3),
                      "word_before": words[before].text if before >= 0 else None,
                      "word_after": words[after].text if after is not None else None,
                      "word_index_before": before if before >= 0 else None,
                      "word_index_after": after})
        aligned.append(entry)
    return aligned


def word_metrics(transcript: Transcript, *, duration_s: float, speaking_time_s: float,
                 pauses: list[Any]) -> dict[str, Any]:
    """Pace, fillers and hedges (times and counts) and the pauses aligned to words, for `Answer.delivery`."""
    words = transcript.words
    n_words = count_words(words) if words else len(transcript.text.split())
    # Without word times (a typed or engine transcript without them) the VAD's first-speech..last-speech span
    # stands in: its speaking time plus the pauses between.
    span = speech_span_s(words)
    if span is None and speaking_time_s:
        span = speaking_time_s + sum(b[1] - b[0] for b in map(_pause_bounds, pauses or []) if b is not None)
    found = detect_fillers(words)
    fillers = [f for f in found if f["kind"] == "filler"]
    hedges = [f for f in found if f["kind"] == "hedge"]
    filler_counts: dict[str, int] = {}
    for f in fillers:
        filler_counts[f["text"]] = filler_counts.get(f["text"], 0) + 1
    hedge_counts: dict[str, int] = {}
    for h in hedges:
        hedge_counts[h["text"]] = hedge_counts.get(h["text"], 0) + 1
    return {
        "word_count": n_words,
        "wpm": pace_wpm(n_words, span),
        "pace_span_s": None if span is None else round(span, 3),
        "articulation_wpm": _per_minute(n_words, speaking_time_s),
        "fillers": fillers,
        "filler_count": len(fillers),
        "filler_counts": filler_counts,
        # Per minute of the same span as the pace, so the two figures describe the same stretch of the answer.
        "fillers_per_minute": _per_minute(len(fillers), span) if span and span >= MIN_PACE_SPAN_S else None,
        "filler_ratio": round(len(fillers) / n_words, 4) if n_words else None,
        "hedges": hedges,
        "hedge_count": len(hedges),
        "hedge_counts": hedge_counts,
        "pauses": align_pauses(words, pauses),
        "engine": transcript.engine,
    }
