"""Fillers, hedges, pace and pause alignment from words (pure functions, no model)."""

from __future__ import annotations

import pytest

from audio.transcription.base import Transcript, Word
from audio.transcription.speech_metrics import align_pauses, detect_fillers, word_metrics


def words_of(text: str, *, start: float = 0.0, step: float = 0.4, gaps: dict[int, float] | None = None) -> list[Word]:
    """Words at an even pace; `gaps` adds silence before the word at that index."""
    out, t = [], start
    for k, token in enumerate(text.split()):
        t += (gaps or {}).get(k, 0.0)
        out.append(Word(text=token, start=round(t, 3), end=round(t + step * 0.8, 3), probability=0.9))
        t += step
    return out


def fillers(text: str, **kwargs) -> list[str]:
    return [f["text"] for f in detect_fillers(words_of(text, **kwargs)) if f["kind"] == "filler"]


def hedges(text: str) -> list[str]:
    return [f["text"] for f in detect_fillers(words_of(text)) if f["kind"] == "hedge"]


# --- hesitations -------------------------------------------------------------------------------------

def test_hesitations_in_whisper_spellings_are_fillers_with_times():
    found = detect_fillers(words_of("Umm, I think the main problem was, uh, the database. Er, ah, hmm."))
    kinds = [(f["kind"], f["text"]) for f in found]
    assert kinds == [("filler", "um"), ("hedge", "i think"), ("filler", "uh"), ("filler", "er"), ("filler", "ah"),
                     ("filler", "um")]
    first = found[0]
    assert first["start"] == 0.0 and first["end"] == pytest.approx(0.32)
    assert found[2]["start"] == pytest.approx(7 * 0.4)  # "uh," is the 8th token


def test_no_fillers_in_plain_speech():
    assert detect_fillers(words_of("The child almost hurt the small dog.")) == []
    assert detect_fillers([]) == []


# --- like -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "I like Python a lot.",
    "It looks like a race condition.",
    "We would like to ship it.",
    "Something like a queue would work.",
    "I'd like the second option.",
    "It behaves like a stack.",
])
def test_like_as_verb_or_comparison_is_not_a_filler(text):
    assert "like" not in fillers(text)


@pytest.mark.parametrize("text", [
    "It was, like, really slow.",
    "Like, the cache was cold.",
    "and like we shipped it anyway",
    "the build was like, broken",
])
def test_like_as_filler(text):
    assert fillers(text).count("like") == 1


# --- so, right, phrases ----------------------------------------------------------------------------------

def test_so_only_sentence_initial():
    assert fillers("So, we moved the cache.") == ["so"]
    assert fillers("It was slow. So we moved the cache.") == ["so"]
    assert fillers("It was so slow that we moved it.") == []
    assert fillers("So far it works.") == []


def test_so_after_a_long_gap_without_punctuation_is_sentence_initial():
    # Unformatted AssemblyAI partials have no punctuation: a gap of 0.7 s or more is taken as a boundary.
    assert fillers("it was slow so we moved it", gaps={3: 1.0}) == ["so"]
    assert fillers("it was slow so we moved it") == []


def test_right_as_tag_or_discourse_marker_only():
    assert fillers("It is a heap, right?") == ["right"]
    assert fillers("Right, so the queue fills up.") == ["right", "so"]
    assert fillers("That is the right answer.") == []
    assert fillers("Turn right now.") == []


def test_you_know_as_a_phrase_not_as_a_question():
    found = detect_fillers(words_of("It was, you know, a hard bug."))
    assert [(f["text"], f["start"], f["end"]) for f in found] == [("you know", 0.8, pytest.approx(1.52))]
    assert fillers("Do you know Python?") == []
    assert fillers("you know what I did") == []
    assert fillers("and you know we shipped it") == ["you know"]


def test_i_mean_and_kind_of_sort_of_as_hedges():
    assert fillers("I mean, it worked.") == ["i mean"]
    assert fillers("That is what I mean.") == []
    assert fillers("It is kind of slow and sort of broken.") == []
    assert hedges("It is kind of slow and sort of broken.") == ["kind of", "sort of"]
    assert hedges("What kind of index is it?") == []
    assert hedges("A sort of tree.") == []


def test_basically_actually_literally_only_in_filler_position():
    assert fillers("Basically, it works. Actually it was faster, literally, than before.") == [
        "basically", "actually", "literally"]
    assert fillers("It actually works and it is basically the same.") == []


def test_hedges_are_separate_from_fillers():
    assert hedges("I think it is maybe a lock, I guess. Probably.") == ["i think", "maybe", "i guess", "probably"]
    assert fillers("I think it is maybe a lock.") == []


# --- word metrics ------------------------------------------------------------------------------------

def test_word_metrics_pace_fillers_and_aligned_pauses():
    # 30 words from 1.0 s to 14.92 s of an 18 s recording (thinking time before and after), 10 s of it
    # speaking; a pause between "queue." and "Um,".
    text = ("We used a queue. Um, it was, like, the simplest fix we could ship that week and it held up well "
            "under load, you know, for many months after that")
    words = words_of(text, start=1.0, gaps={4: 2.0})
    assert len(words) == 30
    transcript = Transcript(text=text, words=words, engine="whisper-tiny.en", confidence=0.9, duration_s=18.0)
    pause = {"start": words[3].end + 0.1, "end": words[4].start - 0.1}
    metrics = word_metrics(transcript, duration_s=18.0, speaking_time_s=10.0, pauses=[pause])

    assert metrics["word_count"] == 30
    # Pace counts the pause between words but not the time before the first word or after the last.
    assert metrics["pace_span_s"] == pytest.approx(13.92)
    assert metrics["wpm"] == pytest.approx(30 / 13.92 * 60, abs=0.05)
    assert metrics["articulation_wpm"] == 180.0
    assert metrics["filler_count"] == 3
    assert metrics["filler_counts"] == {"um": 1, "like": 1, "you know": 1}
    assert metrics["fillers_per_minute"] == pytest.approx(3 / 13.92 * 60, abs=0.05)
    assert [f["start"] for f in metrics["fillers"]] == sorted(f["start"] for f in metrics["fillers"])
    assert metrics["fillers"][0]["start"] == words[4].start
    # Marks a page can highlight: the word index and length of each filler, the word a pause follows.
    assert [(f["index"], f["length"]) for f in metrics["fillers"]] == [(4, 1), (7, 1), (23, 2)]
    [aligned] = metrics["pauses"]
    assert aligned["word_before"] == "queue." and aligned["word_after"] == "Um,"
    assert aligned["word_index_before"] == 3 and aligned["word_index_after"] == 4
    assert aligned["duration_s"] == pytest.approx(pause["end"] - pause["start"], abs=1e-3)


def test_word_metrics_without_words_or_time():
    metrics = word_metrics(Transcript(text="", words=[], engine="whisper-tiny.en"), duration_s=0.0,
                           speaking_time_s=0.0, pauses=[])
    assert metrics["word_count"] == 0 and metrics["wpm"] is None and metrics["articulation_wpm"] is None
    assert metrics["filler_count"] == 0 and metrics["fillers_per_minute"] is None and metrics["pauses"] == []


def test_pace_without_word_times_uses_the_speech_span():
    # An engine transcript without word times: the VAD's speaking time plus the pauses between stand in.
    metrics = word_metrics(Transcript(text=" ".join(["word"] * 40), words=[], engine="x"), duration_s=30.0,
                           speaking_time_s=16.0, pauses=[{"start": 5.0, "end": 9.0}])
    assert metrics["pace_span_s"] == 20.0 and metrics["wpm"] == 120.0


@pytest.mark.parametrize(("wpm", "advice"), [(119.9, "speed_up"), (120, "ok"), (160, "ok"), (160.1, "slow_down"),
                                             (None, None)])
def test_pace_advice_uses_the_feedback_band(wpm, advice):
    from audio.transcription.speech_metrics import pace_advice
    from pipeline.measures import BANDS

    assert (BANDS["wpm"].low, BANDS["wpm"].high) == (120, 160)
    assert pace_advice(wpm) == advice


def test_pauses_before_and_after_all_words_and_odd_shapes():
    words = words_of("one two three", start=1.0)
    aligned = align_pauses(words, [{"start": 0.0, "end": 0.9}, [3.0, 4.0], {"start": 1.72, "duration_s": 0.08},
                                   "garbage", {"start": None}])
    assert [(p["word_before"], p["word_after"]) for p in aligned] == [(None, "one"), ("three", None), ("two", "three")]
    assert aligned[2]["end"] == pytest.approx(1.8)
