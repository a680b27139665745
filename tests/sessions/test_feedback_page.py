"""The feedback page: the verdict first, the attempts near the top, replay and transcript, folded details, the
stronger and the model answer last; every quote whole and shown once; figures from the stored scores."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from rag.feedback.services import answer_feedback_generate
from sessions.models import Answer, AnswerStatus
from tests.sessions.test_report import KEY_POINTS, LONG_ANSWER, interview, spoken  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _main(client, answer: Answer) -> str:  # noqa: ANN001
    response = client.get(reverse("interviews:answer", args=[answer.pk]))
    assert response.status_code == 200
    return unescape(response.content.decode().split("<main", 1)[1])


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _retry(first: Answer) -> Answer:
    retry = Answer.objects.create(
        question=first.question, user=first.user, attempt=2, input_mode="voice", transcript=first.transcript,
        signal=first.signal, contour=first.contour, duration_s=40.0, speaking_time_s=34.0, transcript_confidence=0.9,
        content_score=80.0, delivery={**first.delivery, "wpm": 150.0, "fillers": [], "filler_count": 0,
                                      "fillers_per_minute": 0.0},
        key_points_covered=[{"point": p, "sentence": "An index is a B-tree that the database keeps next to the "
                             "table."} for p in KEY_POINTS], key_points_missed=[], status=AnswerStatus.SCORED)
    answer_feedback_generate(answer_id=retry.pk)
    retry.refresh_from_db()
    return retry


def test_reading_order_verdict_attempts_replay_details_then_model_answer(client, candidate, interview) -> None:  # noqa: ANN001, F811
    first = Answer.objects.filter(question__session=interview).order_by("question__position").first()
    retry = _retry(first)
    client.force_login(candidate)
    html = _main(client, retry)
    order = [html.index(marker) for marker in ("data-verdict", "data-attempts", "transcript-h",
                                                "data-feedback-details", "data-stronger-answer",
                                                "data-model-answer")]
    assert order == sorted(order), order
    # The verdict's score is the stored one every other page reads (80), not the coach's own content estimate.
    verdict = _text(html[html.index("data-verdict"):html.index("data-attempts")])
    assert "Content 80" in verdict and f"Delivery {retry.delivery_score:.0f}" in verdict
    assert not retry.feedback["improvements"] and "Biggest fix none found" in verdict
    assert retry.feedback["strengths"][0]["title"] in verdict
    # Attempts side by side with what changed, each attempt's fillers and key points.
    attempts = _text(html[html.index("data-attempts"):html.index("transcript-h")])
    assert "Attempt 1" in attempts and "Attempt 2" in attempts and "Content up 35 (45 → 80)." in attempts
    assert "3 of 3" in attempts and "0.0/min" in attempts
    # The details are folded, except the Incorrect section when there is one.
    details = html[html.index("data-feedback-details"):html.index("data-stronger-answer")]
    assert "<details" in details and "<details class=\"card\" open" not in details.replace(" data-incorrect", "")
    assert "An index is a B-tree. It avoids a full scan. Writes get slower." in html  # the model answer
    assert "Key points (3 of 3 covered)" in _text(html)
    # The first attempt's biggest fix is the coach's first (most severe) improvement.
    first_html = _main(client, first)
    fix = _text(first_html[first_html.index("data-verdict-fix"):first_html.index("data-verdict-best")])
    assert first.feedback["improvements"][0]["title"] in fix


def test_every_quote_is_whole_and_shown_once(client, candidate, interview) -> None:  # noqa: ANN001, F811
    client.force_login(candidate)
    for answer in Answer.objects.filter(question__session=interview):
        html = _main(client, answer)
        text = _text(html)
        assert "reference puts it" not in text and ".;" not in text and ".." not in text.replace("...", "")
        quotes = re.findall(r"<blockquote>“([^”]*)”</blockquote>", html) + re.findall(r"“([^”]{40,})”", html)
        for quote in quotes:
            assert not quote.endswith("…"), quote
        for sentence in re.split(r"(?<=\.) ", answer.transcript):
            if len(sentence.split()) >= 5:
                # Once in the transcript itself, at most once more as a quote.
                assert text.count(sentence.rstrip(".")) <= 2, sentence


def test_feedback_stored_by_older_writers_is_repaired(client, candidate, answer_factory) -> None:  # noqa: ANN001
    """Cut quotes are completed from the transcript, a quote repeated across points is shown once, stray stops go."""
    sentence = "An index is a B-tree that the database keeps next to the table."
    cut = sentence[:30] + "…"
    point = {"title": "Covered: B-tree structure", "detail": f"You made this point when you said “{cut}”.",
             "evidence": [{"kind": "quote", "text": cut}], "category": "key_points"}
    feedback = {
        "scores": {"content": 70, "delivery": None, "structure": 60}, "engine": "offline",
        "summary": f"Typed answer, opening with “{cut}”.", "strengths": [point, {**point, "title": "Again"}],
        "improvements": [{"title": "Missed 1 of 3 key points", "category": "key_points",
                          "evidence": [{"kind": "key_point", "text": "slower writes"}],
                          "detail": "Add “slower writes.” (the reference puts it: “Writes get slower…”).;"}],
        "stronger_answer_outline": ["Add: slower writes.."],
    }
    answer = answer_factory(user=candidate, input_mode="text", transcript=LONG_ANSWER, content_score=70.0,
                            structure_score=60.0, feedback=feedback)
    client.force_login(candidate)
    html = _main(client, answer)
    text = _text(html)
    assert cut not in html and text.count(sentence.rstrip(".")) == 2  # the answer, and one quote
    assert "the sentence quoted above" in text
    assert ".;" not in text and ".." not in text and "Add: slower writes." in text
    assert text.count("slower writes") == 2  # the improvement names it once (no list under it), the outline once


def test_score_changes_are_rounded_as_the_scores_beside_them(candidate, answer_factory) -> None:  # noqa: ANN001
    from sessions.feedback_view import attempt_changes

    first = answer_factory(user=candidate, input_mode="text", transcript="One.", content_score=0.4)
    second = Answer.objects.create(question=first.question, user=candidate, attempt=2, input_mode="text",
                                   transcript="Two.", content_score=58.5, status=AnswerStatus.SCORED)
    # The page prints 58.5 as 59 (floatformat rounds half up): the change must not say 58.
    assert attempt_changes(first, second)[0] == "Content up 59 (0 → 59)."


def test_unreadable_feedback_still_shows_the_scores_and_the_answer(client, candidate, answer_factory) -> None:  # noqa: ANN001
    answer = answer_factory(user=candidate, input_mode="text", transcript="Short typed answer.", content_score=55.0,
                            feedback={"scores": "not a dict"})
    client.force_login(candidate)
    html = _main(client, answer)
    assert "Short typed answer." in html and "data-verdict" not in html and "data-improvements" not in html
