"""Filler and hedge detection against labelled sentences: the rule author's (tests/audio/filler_sentences.py) and a
second set split into tuning and held-out parts (tests/data/fillers); precision and recall on text, and the live
count converging to the final one. On speech: tests/audio/test_transcription_whisper.py and the bench."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from audio.transcription.base import Word
from audio.transcription.evaluation import FillerScore, read_filler_set, score_filler_set, score_fillers
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


# --- The second labelled set (tests/data/fillers): another author's sentences, split into tuning and held-out.

FILLER_SETS = Path(__file__).resolve().parent.parent / "data" / "fillers"


def set_scores(part: str, *, plain: bool = False) -> FillerScore:
    rows = read_filler_set(FILLER_SETS / f"{part}.jsonl")
    return score_filler_set(rows, lambda _k, row: words_of(unpunctuated(row["text"]) if plain else row["text"]))


def test_the_second_set_is_split_once_and_labels_point_at_their_words():
    parts = {part: read_filler_set(FILLER_SETS / f"{part}.jsonl") for part in ("tuning", "heldout")}
    texts = [row["text"] for rows in parts.values() for row in rows]
    assert len(texts) == len(set(texts)) >= 60  # no sentence in both parts
    assert all(len(rows) >= 30 for rows in parts.values())
    assert not set(texts) & {text for text, _, _ in LABELLED}
    for rows in parts.values():
        assert sum(1 for row in rows if not row["fillers"]) >= 10  # content uses of the same words
        for row in rows:
            tokens = [re.sub(r"[^\w']", "", t).lower() for t in row["text"].split()]
            for f in row["fillers"]:
                size = len(f["word"].split())
                assert " ".join(tokens[f["index"]:f["index"] + size]) == f["word"], row


@pytest.mark.parametrize("part", ["tuning", "heldout"])
@pytest.mark.parametrize("plain", [False, True], ids=["punctuated", "unpunctuated"])
def test_filler_precision_and_recall_on_the_second_set(part, plain):
    score = set_scores(part, plain=plain)
    print(f"{part} {'unpunctuated' if plain else 'punctuated'}: precision {score.precision:.3f} "
          f"recall {score.recall:.3f} {score}")
    assert score.precision >= 0.9 and score.recall >= 0.8


def test_filler_precision_and_recall_on_the_blind_set_as_punctuated_text():
    """The set written without the rules (tests/data/fillers/README.md), on text as whisper punctuates it. Its
    speech figures are in docs/measures.md (bench/transcription_bench.py --filler-parts blind)."""
    score = set_scores("blind")
    assert score.tp + score.fn >= 100
    assert score.precision >= 0.9 and score.recall >= 0.8, score


def test_a_filler_found_at_the_wrong_place_is_a_false_positive():
    text = "So we cached it, so that reads were fast."
    labels = [("so", 0)]
    # The content "so" (index 4) found instead of the opening one: one false positive and one miss.
    assert score_fillers(text, labels, text.split(), [("so", 4)]) == FillerScore(tp=0, fp=1, fn=1)
    assert score_fillers(text, labels, text.split(), [("so", 0)]) == FillerScore(tp=1, fp=0, fn=0)
    # A transcript that dropped and added words is aligned first; a hesitation it inserted matches a label
    # between the same neighbours.
    heard = ["Um,", "so", "we", "cached,", "so", "that", "reads", "were", "fast."]
    assert score_fillers("Um, so we cached it, so that reads were fast.", [("um", 0), ("so", 1)], heard,
                         [("um", 0), ("so", 1), ("so", 4)]) == FillerScore(tp=2, fp=1, fn=0)


def test_right_as_an_aside_and_an_adverb_after_a_hesitation_are_fillers():
    found = detect_fillers(words_of("The job finished, right, but I was, um, basically the only one on call."))
    assert [(f["text"], f["index"]) for f in found if f["kind"] == "filler"] == [("right", 3), ("um", 7),
                                                                                ("basically", 8)]
    # Content uses stay content: a direction, a join, an adverb without a hesitation before it.
    for text in ("Turn right, then left.", "A right join, not a left one.", "It basically works."):
        assert [f for f in detect_fillers(words_of(text)) if f["kind"] == "filler"] == [], text
