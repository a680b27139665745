"""Prose assembled from key points and quotes (pipeline/text.py): no stray ".;" or "..", quotes whole."""

from __future__ import annotations

from pipeline.text import clause, prose_list, prose_tidy, quote_key
from rag.feedback.coach import coach_feedback
from tests.rag.test_feedback_coach import CRAFTED


def test_points_with_their_own_full_stop_join_cleanly() -> None:
    assert prose_list(["Uses a B-tree.", "  avoids a full scan. ", "", "slower writes;"]) == (
        "Uses a B-tree; avoids a full scan; slower writes")
    assert clause("It is sorted!\n") == "It is sorted"


def test_stored_prose_is_repaired_but_an_ellipsis_and_e_g_stay() -> None:
    assert prose_tidy("Add “a B-tree.”; avoids a scan..") == "Add “a B-tree”; avoids a scan."
    assert prose_tidy("Add a. ; b. .") == "Add a; b."
    assert prose_tidy("Wait... e.g., this.") == "Wait... e.g., this."


def test_quotes_are_the_same_whatever_the_case_and_punctuation() -> None:
    assert quote_key("“An index is a B-tree.”") == quote_key("an index is a B-tree") != quote_key("an index")


def test_the_coach_never_cuts_a_quote_or_leaves_a_stray_stop() -> None:
    for inp in CRAFTED.values():
        feedback = coach_feedback(inp)
        points = feedback.strengths + feedback.improvements
        texts = [feedback.summary, *feedback.stronger_answer_outline] + [p.detail for p in points]
        for text in texts:
            assert ".;" not in text and ".." not in text.replace("...", ""), text
            assert "reference puts it" not in text
        for point in points:
            for ev in point.evidence:
                if ev.kind == "quote":
                    assert not ev.text.endswith("…"), ev.text
                    assert ev.text in " ".join(inp.transcript.split()), ev.text  # the speaker's own sentence
