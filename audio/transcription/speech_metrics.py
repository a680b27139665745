"""Delivery measures drawn from words: pace, filler words and hedges with their times, pauses aligned to words.

Filler detection works on the words as engines give them: Whisper and formatted AssemblyAI turns carry
punctuation and casing ("Um,", "like,"), unformatted turns do not, so punctuation is used as evidence when present
and word context otherwise. Ambiguous words ("like", "so", "right", "you know", "I mean", "kind of") count only in
their filler uses; the rules are deliberately conservative: a missed filler costs less than accusing a candidate
of one they did not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from audio.transcription.base import Transcript, Word

# Always fillers, whatever the context. Spelling variants are what Whisper and AssemblyAI actually write.
_HESITATIONS = {"um": "um", "umm": "um", "ummm": "um", "uhm": "um", "hmm": "um", "mm": "um", "uh": "uh", "uhh": "uh",
                "er": "er", "erm": "er", "err": "er", "ah": "ah", "ahh": "ah"}
_ALWAYS_FILLERS = {"basically", "actually", "literally"}
_HEDGE_PHRASES = [("i", "think"), ("i", "guess"), ("i", "suppose"), ("i", "believe"), ("i", "feel", "like"),
                  ("i'm", "not", "sure"), ("not", "sure"), ("more", "or", "less"), ("it", "seems"),
                  ("maybe",), ("perhaps",), ("probably",), ("possibly",), ("somewhat",)]
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
        tokens.append(_Token(norm=norm, raw=raw, start=float(w.start), end=float(w.end),
                             comma_after=raw.endswith((",", ";", ":", "—", "-", "...")),
                             sentence_end=bool(_SENTENCE_END.search(raw)), sentence_start=sentence_start))
    return tokens


def _item(kind: str, text: str, tokens: list[_Token]) -> dict[str, Any]:
    return {"kind": kind, "text": text, "start": round(tokens[0].start, 3), "end": round(tokens[-1].end, 3)}


def _norm_at(tokens: list[_Token], i: int) -> str:
    return tokens[i].norm if 0 <= i < len(tokens) else ""


def _punct_isolated(tokens: list[_Token], i: int, j: int) -> bool:
    """The phrase tokens[i..j] is set off by punctuation (", like,", "You know, ...", "... right?")."""
    before = i == 0 or tokens[i - 1].comma_after or tokens[i - 1].sentence_end
    after = tokens[j].comma_after or tokens[j].sentence_end or j == len(tokens) - 1
    return before and after


def _like_is_filler(tokens: list[_Token], i: int) -> bool:
    prev = _norm_at(tokens, i - 1)
    if tokens[i].comma_after or (i > 0 and tokens[i - 1].comma_after and prev not in _LIKE_NOT_FILLER_BEFORE):
        return True  # ", like," or "was, like really" or "Like, I"
    if prev in _LIKE_NOT_FILLER_BEFORE:
        return False
    return prev in _LIKE_FILLER_BEFORE or prev in _HESITATIONS


def _so_is_filler(tokens: list[_Token], i: int, *, after_filler: bool) -> bool:
    # "Right, so ..." / "Um, so ...": a "so" right after an opening filler still opens the sentence.
    opens = tokens[i].sentence_start or (after_filler and tokens[i - 1].comma_after)
    return opens and _norm_at(tokens, i + 1) not in {"that", "far", "much", "many"}


def _right_is_filler(tokens: list[_Token], i: int) -> bool:
    token = tokens[i]
    if token.raw.endswith("?"):
        return True  # the tag question "..., right?"
    return token.sentence_start and (token.comma_after or token.sentence_end)  # "Right, so..." / "Right."


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


def _kind_of_is_filler(tokens: list[_Token], i: int) -> bool:
    return _norm_at(tokens, i - 1) not in _KIND_OF_NOT_FILLER_BEFORE


def detect_fillers(words: list[Word]) -> list[dict[str, Any]]:
    """Fillers and hedges in time order: `{"kind": "filler" | "hedge", "text", "start", "end"}`."""
    tokens = _tokens(words)
    found: list[dict[str, Any]] = []
    last_filler = -2  # index of the last token of the last filler found
    i = 0
    while i < len(tokens):
        norm = tokens[i].norm
        phrase = _filler_at(tokens, i, after_filler=last_filler == i - 1)
        if phrase is not None:
            text, size = phrase
            found.append(_item("filler", text, tokens[i : i + size]))
            last_filler = i + size - 1
            i += size
            continue
        hedge = _hedge_at(tokens, i) if norm not in _HESITATIONS else None
        if hedge:
            found.append(_item("hedge", " ".join(hedge), tokens[i : i + len(hedge)]))
            i += len(hedge)
            continue
        i += 1
    return found


def _filler_at(tokens: list[_Token], i: int, *, after_filler: bool) -> tuple[str, int] | None:
    """The filler starting at token i as (canonical text, number of tokens), or None."""
    norm = tokens[i].norm
    pair = (norm, _norm_at(tokens, i + 1))
    if norm in _HESITATIONS:
        return _HESITATIONS[norm], 1
    if norm in _ALWAYS_FILLERS:
        return norm, 1
    if pair == ("you", "know") and _you_know_is_filler(tokens, i):
        return "you know", 2
    if pair == ("i", "mean") and _i_mean_is_filler(tokens, i):
        return "i mean", 2
    if pair in {("kind", "of"), ("sort", "of")} and _kind_of_is_filler(tokens, i):
        return f"{norm} of", 2
    if norm in {"kinda", "sorta"} and _kind_of_is_filler(tokens, i):
        return norm[:4] + " of", 1
    if norm == "like" and _like_is_filler(tokens, i):
        return "like", 1
    if norm == "so" and _so_is_filler(tokens, i, after_filler=after_filler):
        return "so", 1
    if norm == "right" and _right_is_filler(tokens, i):
        return "right", 1
    return None


def _hedge_at(tokens: list[_Token], i: int) -> tuple[str, ...] | None:
    for phrase in _HEDGE_PHRASES:
        if tuple(_norm_at(tokens, i + k) for k in range(len(phrase))) == phrase:
            return phrase
    return None


def count_words(words: list[Word]) -> int:
    return sum(1 for w in words if re.search(r"\w", w.text))


def _per_minute(count: int, seconds: float) -> float | None:
    return round(count / (seconds / 60.0), 1) if seconds and seconds > 0 else None


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
                      "word_index_after": after})
        aligned.append(entry)
    return aligned


def word_metrics(transcript: Transcript, *, duration_s: float, speaking_time_s: float,
                 pauses: list[Any]) -> dict[str, Any]:
    """Pace, fillers and hedges (times and counts) and the pauses aligned to words, for `Answer.delivery`."""
    words = transcript.words
    n_words = count_words(words) if words else len(transcript.text.split())
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
        "wpm": _per_minute(n_words, duration_s),
        "articulation_wpm": _per_minute(n_words, speaking_time_s),
        "fillers": fillers,
        "filler_count": len(fillers),
        "filler_counts": filler_counts,
        "fillers_per_minute": _per_minute(len(fillers), duration_s),
        "filler_ratio": round(len(fillers) / n_words, 4) if n_words else None,
        "hedges": hedges,
        "hedge_count": len(hedges),
        "hedge_counts": hedge_counts,
        "pauses": align_pauses(words, pauses),
        "engine": transcript.engine,
    }
