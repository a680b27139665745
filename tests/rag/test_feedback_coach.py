"""The offline coach on crafted answers: deterministic, specific, evidence on every improvement, honest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.feedback.coach import CoachInput, coach_feedback
from rag.feedback.star import star_detect
from rag.feedback_schema import Feedback, StoredFeedback

REFERENCE = ("An index is an auxiliary data structure, usually a B-tree, that lets the database find rows without a "
             "full table scan. It speeds up reads but slows down writes and costs storage. Add one on selective "
             "columns used in WHERE clauses and joins.")
KEY_POINTS = ("B-tree structure", "avoids a full table scan", "slows writes and uses storage",
              "index selective columns used in filters and joins")
GOOD = ("An index is a separate data structure, usually a B-tree, that lets the database jump to matching rows. "
        "First, it avoids scanning the whole table, because the tree is sorted by the key. However, every insert "
        "and update has to maintain the tree, so writes get slower and the index takes disk space. For example, in "
        "my last project we indexed the user id column used in a join and the report query went from seconds to "
        "milliseconds. Finally, I would only index selective columns that appear in filters and joins.")
FILLERS = ("Um so an index is um like a data structure, you know, that makes lookups faster. Um it is like a "
           "B-tree, you know. Um the database uses it to um find rows without scanning the whole table, you know.")


def signal(**overrides: object) -> dict:
    base = dict(duration_s=40.0, speaking_time_s=34.0, pause_count=5, long_pause_count=0, longest_pause_s=1.2,
                pause_total_s=4.0, pitch_median_hz=140.0, pitch_std_st=3.4, pitch_range_st=9.0, monotone=False,
                loudness_mean_dbfs=-22.0, loudness_std_db=5.5, jitter_local=0.006, shimmer_local=0.03,
                clipping_fraction=0.0, silence_fraction=0.15, voiced_fraction=0.7,
                pauses=[{"start": 10.0, "end": 11.2, "duration": 1.2}])
    return base | overrides


def delivery(text: str, *, duration: float = 40.0, **overrides: object) -> dict:
    words = text.split()
    fillers = []
    for i, w in enumerate(words):
        bare = w.strip(",.").lower()
        if bare == "um":
            fillers.append({"kind": "filler", "text": "um", "start": round(i * duration / len(words), 2)})
    for i in range(len(words) - 1):
        if f"{words[i]} {words[i + 1]}".strip(",.").lower() == "you know":
            fillers.append({"kind": "filler", "text": "you know", "start": round(i * duration / len(words), 2)})
    base = {"word_count": len(words), "wpm": len(words) / duration * 60, "fillers": fillers,
            "filler_count": len(fillers), "fillers_per_minute": len(fillers) / duration * 60, "hedges": []}
    return base | overrides


def make(text: str = GOOD, *, kind: str = "technical", mode: str = "voice", covered: tuple = (),
         missed: tuple = (), sig: dict | None = None, deliv: dict | None = None, confidence: float | None = 0.92,
         content: float | None = 70.0, duration: float = 40.0, question: str = "What is a database index?",
         key_points: tuple = KEY_POINTS, reference: str = REFERENCE) -> CoachInput:
    voice = mode == "voice"
    return CoachInput(
        question=question, topic_kind=kind, reference_answer=reference, key_points=key_points,
        transcript=text, input_mode=mode, signal=(sig if sig is not None else signal(duration_s=duration))
        if voice else {}, delivery=(deliv if deliv is not None else delivery(text, duration=duration)) if voice else {},
        content_score=content, similarity=0.7, covered=covered, missed=missed, transcript_confidence=confidence
        if voice else None, duration_s=duration if voice else None,
        speaking_time_s=(sig or signal()).get("speaking_time_s") if voice else None)


def categories(feedback: Feedback) -> set[str]:
    return {p.category for p in feedback.improvements}


def all_texts(feedback: Feedback) -> list[str]:
    return [feedback.summary] + [p.title + p.detail for p in feedback.strengths + feedback.improvements]


CRAFTED = {
    "good": make(covered=tuple((kp, None) for kp in KEY_POINTS)),
    "fillers": make(FILLERS, covered=(("B-tree structure", "Um it is like a B-tree, you know."),),
                    missed=KEY_POINTS[2:], content=40),
    "fast": make(GOOD, duration=25.0, sig=signal(duration_s=25.0, speaking_time_s=23.0)),
    "monotone": make(GOOD, sig=signal(pitch_std_st=0.9, pitch_range_st=2.5, monotone=True, jitter_local=0.02,
                                      shimmer_local=0.06)),
    "missed": make("An index makes queries faster because the database can look things up quickly in a tree "
                   "instead of reading everything, which matters for big tables in production systems today.",
                   covered=(("avoids a full table scan", "An index makes queries faster"),),
                   missed=KEY_POINTS[:1] + KEY_POINTS[2:], content=35),
    "typed": make(GOOD, mode="text"),
}


def test_same_input_gives_identical_feedback() -> None:
    for inp in CRAFTED.values():
        assert coach_feedback(inp).model_dump() == coach_feedback(replace(inp)).model_dump()


def test_different_answers_never_share_text() -> None:
    results = {name: coach_feedback(inp) for name, inp in CRAFTED.items()}
    summaries = [f.summary for f in results.values()]
    assert len(set(summaries)) == len(summaries)
    # No improvement text is reused verbatim between two different answers.
    seen: dict[str, str] = {}
    for name, feedback in results.items():
        for point in feedback.improvements:
            text = point.title + " " + point.detail
            assert text not in seen, f"{name} repeats {seen.get(text)}: {text}"
            seen[text] = name


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_every_improvement_carries_evidence_and_validates(name: str) -> None:
    feedback = coach_feedback(CRAFTED[name])
    for point in feedback.improvements:
        assert point.evidence, point.title
        assert point.category
    # Both schemas accept it (what Gemini must produce, and what is stored).
    Feedback.model_validate_json(feedback.model_dump_json())
    StoredFeedback(**feedback.model_dump(), engine="offline")


def test_too_fast_is_named_with_its_number() -> None:
    feedback = coach_feedback(CRAFTED["fast"])
    pace = next(p for p in feedback.improvements if p.category == "pace")
    metric = next(e for e in pace.evidence if e.kind == "metric")
    assert metric.metric == "wpm" and metric.value > 160 and metric.target == "120–160 wpm"
    assert f"{metric.value:.0f} wpm" in pace.title
    assert "pace" not in {p.category for p in coach_feedback(CRAFTED["good"]).improvements}


def test_many_fillers_are_counted_and_quoted() -> None:
    feedback = coach_feedback(CRAFTED["fillers"])
    point = next(p for p in feedback.improvements if p.category == "fillers")
    assert "“um” ×5" in point.detail and "“you know” ×3" in point.detail
    quotes = [e.text for e in point.evidence if e.kind == "quote"]
    assert quotes and all(q.lower() in FILLERS.lower() for q in quotes)
    metric = next(e for e in point.evidence if e.kind == "metric")
    assert metric.metric == "fillers_per_min" and metric.value > 3


def test_monotone_names_the_spread_with_jitter_only_as_support() -> None:
    feedback = coach_feedback(CRAFTED["monotone"])
    point = next(p for p in feedback.improvements if p.category == "pitch")
    assert "0.9 st" in point.title
    metrics = [e.metric for e in point.evidence]
    assert metrics[0] == "pitch_std_st" and {"jitter_local", "shimmer_local"} <= set(metrics)
    # Jitter and shimmer never make a point of their own, and add nothing when the voice is fine.
    assert not any(p.category in ("jitter", "shimmer") for p in feedback.improvements)
    good = coach_feedback(CRAFTED["good"])
    assert not any(e.metric in ("jitter_local", "shimmer_local") for p in good.improvements for e in p.evidence)


def test_missed_key_points_are_each_evidence_with_reference_outline() -> None:
    feedback = coach_feedback(CRAFTED["missed"])
    point = next(p for p in feedback.improvements if p.category == "key_points")
    assert [e.text for e in point.evidence if e.kind == "key_point"] == list(KEY_POINTS[:1] + KEY_POINTS[2:])
    # Each missed point named once, whole; the model answer's sentences are left to the page's model answer.
    assert point.detail == ("Add “B-tree structure”; “slows writes and uses storage”; "
                            "“index selective columns used in filters and joins”.")
    assert "slows down writes and costs storage" not in point.detail
    assert "Add: slows writes and uses storage" in feedback.stronger_answer_outline
    assert "Keep: avoids a full table scan" in feedback.stronger_answer_outline
    assert feedback.scores.content == 35


def test_star_parts_missing_are_named() -> None:
    story = ("At my previous job our team had a release that kept failing on Fridays. I was asked to find out why. "
             "I analysed the last ten failed builds and set up a flaky-test dashboard.")
    feedback = coach_feedback(make(story, kind="behavioral", question="Tell me about a time you fixed a process."))
    assert [p.part for p in feedback.star if not p.present] == ["result"]
    point = next(p for p in feedback.improvements if p.category == "star")
    assert "result" in point.title
    assert any(e.kind == "key_point" and e.text == "STAR result: missing" for e in point.evidence)
    full = story + " As a result, failed releases dropped by 80% within a month."
    complete = coach_feedback(make(full, kind="behavioral", question="Tell me about a time you fixed a process."))
    assert all(p.present for p in complete.star)
    assert "star" not in categories(complete)
    assert complete.scores.structure > feedback.scores.structure
    assert coach_feedback(CRAFTED["good"]).star is None  # technical questions get no STAR


def test_typed_answer_gets_no_delivery() -> None:
    feedback = coach_feedback(CRAFTED["typed"])
    assert feedback.scores.delivery is None
    assert any("typed" in w for w in feedback.withheld)
    assert not categories(feedback) & {"pace", "fillers", "pauses", "pitch", "loudness"}


def test_mostly_silent_audio_withholds_delivery() -> None:
    inp = make("Yes.", sig=signal(duration_s=30.0, speaking_time_s=0.8, silence_fraction=0.97, pitch_std_st=0.4,
                                  monotone=True, long_pause_count=3, longest_pause_s=12.0), duration=30.0,
               deliv=delivery("Yes.", duration=30.0))
    feedback = coach_feedback(inp)
    assert feedback.scores.delivery is None
    assert any("mostly silence" in w and "97%" in w for w in feedback.withheld)
    assert not categories(feedback) & {"pace", "fillers", "pauses", "pitch", "loudness"}


def test_clipped_audio_withholds_voice_judgements() -> None:
    mostly = coach_feedback(make(GOOD, sig=signal(clipping_fraction=0.35, pitch_std_st=0.8, monotone=True)))
    assert mostly.scores.delivery is None
    assert any("clipped" in w for w in mostly.withheld)
    some = coach_feedback(make(GOOD, sig=signal(clipping_fraction=0.05, pitch_std_st=0.8, monotone=True,
                                                loudness_std_db=1.0)))
    assert some.scores.delivery is not None  # pace, fillers and pauses still stand
    assert not categories(some) & {"pitch", "loudness"}
    assert any("Pitch and loudness" in w for w in some.withheld)


def test_low_confidence_transcript_withholds_word_judgements() -> None:
    inp = make(FILLERS, confidence=0.35, duration=25.0, sig=signal(duration_s=25.0))
    feedback = coach_feedback(inp)
    assert not categories(feedback) & {"pace", "fillers", "hedges"}
    assert any("35%" in w for w in feedback.withheld)
    assert any("confidence is low" in c for c in feedback.caveats)
    confident = coach_feedback(replace(inp, transcript_confidence=0.95))
    assert {"fillers", "pace"} <= categories(confident)


def test_empty_transcript_scores_zero_and_says_why() -> None:
    feedback = coach_feedback(make("", sig=signal(speaking_time_s=0.0, silence_fraction=1.0), content=None,
                                   deliv={}))
    assert feedback.scores.content == 0 and feedback.scores.structure == 0
    assert any("no words were recognised" in w for w in feedback.withheld)
    assert not feedback.improvements or all(p.evidence for p in feedback.improvements)


def test_star_detection_on_crafted_stories() -> None:
    full = star_detect("Last year, while I was working at a fintech startup, our payments service kept timing out. "
                       "My task was to cut the error rate before the holiday peak. I profiled the service, added a "
                       "connection pool and rolled out the change behind a flag. As a result, timeouts fell by 90%.")
    assert full.missing == ()
    assert full.parts[3].quote.startswith("As a result")
    no_situation = star_detect("I needed to ship the feature in a week. So I split it into three pieces and paired "
                               "with a colleague. We shipped on time.")
    assert no_situation.missing == ("situation",)
    assert star_detect("").missing == ("situation", "task", "action", "result")
    assert star_detect("I like working in teams and I am a hard worker.").present == ()
