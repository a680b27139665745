"""Filler and hedge detection against labelled sentences (tests/audio/filler_sentences.py): precision and recall
on text, the same count for the same audio, and the live count converging to the final one."""

from __future__ import annotations

import re
from collections import Counter

from audio.transcription.base import Word
from audio.transcription.speech_metrics import detect_fillers
from tests.audio.filler_sentences import LABELLED


def words_of(text: str) -> list[Word]:
    return [Word(text=t, start=0.4 * k, end=0.4 * k + 0.3) for k, t in enumerate(text.split())]


def unpunctuated(text: str) -> str:
    """As an unformatted engine turn gives it: lower case, no punctuation."""
    return re.sub(r"[^\w' -]", "", text.lower())


def scores(kind: str, *, plain: bool = False) -> tuple[float, float, int]:
    """(precision, recall, true positives) of `kind` over the labelled set, matching by phrase per sentence."""
    tp = fp = fn = 0
    for text, fillers, hedges in LABELLED:
        expected = Counter(fillers if kind == "filler" else hedges)
        words = words_of(unpunctuated(text) if plain else text)
        found = Counter(f["text"] for f in detect_fillers(words) if f["kind"] == kind)
        hit = sum((expected & found).values())
        tp, fp, fn = tp + hit, fp + sum(found.values()) - hit, fn + sum(expected.values()) - hit
    return tp / (tp + fp), tp / (tp + fn), tp


def test_the_labelled_set_is_big_enough_and_has_content_uses():
    assert len(LABELLED) >= 40
    content = [t for t, f, h in LABELLED if not f and any(w in t.lower() for w in ("like", "so", "well", "right"))]
    assert len(content) >= 10


def test_filler_precision_and_recall_on_text():
    precision, recall, tp = scores("filler")
    print(f"fillers: precision {precision:.3f} recall {recall:.3f} ({tp} found)")
    assert precision >= 0.9 and recall >= 0.8


def test_filler_precision_and_recall_without_punctuation():
    # Punctuation is evidence the rules use when there is some; without it they fall back on word context and
    # miss the ambiguous cases ("it was like the slowest") rather than guess.
    precision, recall, tp = scores("filler", plain=True)
    print(f"fillers, unpunctuated: precision {precision:.3f} recall {recall:.3f} ({tp} found)")
    assert precision >= 0.9 and recall >= 0.8


def test_hedge_precision_and_recall_on_text():
    precision, recall, tp = scores("hedge")
    print(f"hedges: precision {precision:.3f} recall {recall:.3f} ({tp} found)")
    assert precision >= 0.9 and recall >= 0.8


def test_i_like_python_is_content():
    assert detect_fillers(words_of("I like Python and I like Go.")) == []


def test_live_count_over_committed_captions_equals_the_final_count():
    # Captions commit a few words at a time; the count over everything committed is the same function's, so it
    # ends where the final count does when the words agree.
    text = " ".join(t for t, _, _ in LABELLED[:20])
    words = words_of(text)
    final = sum(1 for f in detect_fillers(words) if f["kind"] == "filler")
    committed: list[Word] = []
    counts = []
    for k in range(0, len(words), 3):
        committed.extend(words[k:k + 3])
        counts.append(sum(1 for f in detect_fillers(committed) if f["kind"] == "filler"))
    assert counts[-1] == final > 0
