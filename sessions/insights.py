"""Word insights of one spoken answer (a selector over what is stored): the words said most often, the hedges and
weak words, and how the filler rate moved over the course of the answer.

Read from `Answer.words` and `Answer.delivery` as the transcription step stored them (fillers and hedges with their
times come from audio/transcription/speech_metrics.py); nothing is re-detected here except the weak words, which
no other step looks for.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sessions.models import Answer, InputMode

# Function words and fillers are not "repeated words" a candidate can act on.
_STOPWORDS = frozenset({"a", "an", "the", "and", "or", "but", "so", "if", "then", "than", "that", "this", "these",
    "those", "there", "here", "it", "its", "it's", "i", "i'm", "i've", "i'd", "me", "my", "we", "we're", "our",
    "you", "your", "they", "their", "them", "he", "she", "his", "her", "is", "are", "was", "were", "be", "been",
    "being", "am", "do", "does", "did", "done", "have", "has", "had", "having", "to", "of", "in", "on", "at", "by",
    "for", "with", "from", "as", "into", "about", "over", "under", "up", "down", "out", "off", "not", "no", "yes",
    "just", "also", "very", "really", "too", "can", "could", "would", "should", "will", "shall", "may", "might",
    "must", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "all", "any", "some", "each",
    "other", "such", "more", "most", "only", "own", "same", "both", "few", "many", "much", "one", "two", "um", "uh",
    "er", "ah", "like", "well", "okay", "ok", "oh", "yeah", "right"})
# Vague intensifiers and placeholders that weaken a claim ("it's basically just stuff"); hedges are stored apart.
WEAK_WORDS = frozenset({"just", "really", "very", "basically", "actually", "stuff", "things", "thing", "somehow",
                        "somewhat", "pretty", "quite", "whatever", "etc", "honestly", "literally"})
TOP_REPEATED = 5
MIN_REPEATS = 3
WINDOWS = 4  # the answer's span in quarters for the filler rate
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class RateWindow:
    start_s: float
    end_s: float
    fillers: int
    per_minute: float


@dataclass(frozen=True)
class WordInsights:
    repeated: list[tuple[str, int]] = field(default_factory=list)      # (word, times), most first
    hedges: list[tuple[str, int]] = field(default_factory=list)        # (hedge, times), as stored
    weak_words: list[tuple[str, int]] = field(default_factory=list)    # (word, times)
    filler_windows: list[RateWindow] = field(default_factory=list)     # the answer in quarters, in order

    @property
    def empty(self) -> bool:
        return not (self.repeated or self.hedges or self.weak_words or self.filler_windows)


def _norm(text: Any) -> str:
    match = _WORD.search(str(text or "").lower())
    return match.group(0).strip("'-") if match else ""


def _counts(pairs: Counter[str], minimum: int = 1, limit: int = TOP_REPEATED) -> list[tuple[str, int]]:
    return sorted(((w, n) for w, n in pairs.items() if n >= minimum), key=lambda p: (-p[1], p[0]))[:limit]


def _filler_windows(words: list[dict[str, Any]], fillers: list[Any]) -> list[RateWindow]:
    times = [(float(w["start"]), float(w.get("end") or w["start"])) for w in words
             if isinstance(w.get("start"), int | float)]
    if not times:
        return []
    first, last = times[0][0], max(end for _, end in times)
    span = last - first
    if span < 20:  # under 20 s a quarter is a few words: a rate per window would say nothing
        return []
    step = span / WINDOWS
    counts = [0] * WINDOWS
    for filler in fillers:
        start = filler.get("start") if isinstance(filler, dict) else None
        if isinstance(start, int | float) and first <= start <= last:
            counts[min(WINDOWS - 1, int((start - first) / step))] += 1
    return [RateWindow(start_s=round(first + i * step, 1), end_s=round(first + (i + 1) * step, 1), fillers=n,
                       per_minute=round(n / step * 60, 1)) for i, n in enumerate(counts)]


def answer_word_insights(*, answer: Answer) -> WordInsights | None:
    """The insights of a spoken answer with a transcript; None for typed answers and answers without words."""
    if answer.input_mode != InputMode.VOICE:
        return None
    words = [w for w in answer.words or [] if isinstance(w, dict) and str(w.get("text") or "").strip()]
    if not words:
        return None
    delivery = answer.delivery or {}
    tokens = [_norm(w["text"]) for w in words]
    repeated = Counter(t for t in tokens if t and t not in _STOPWORDS and t not in WEAK_WORDS and len(t) > 2)
    weak = Counter(t for t in tokens if t in WEAK_WORDS)
    hedge_counts = delivery.get("hedge_counts") or {}
    hedges = Counter({str(k): int(v) for k, v in hedge_counts.items() if isinstance(v, int | float)})
    return WordInsights(repeated=_counts(repeated, MIN_REPEATS), hedges=_counts(hedges),
                        weak_words=_counts(weak), filler_windows=_filler_windows(words, delivery.get("fillers") or []))
