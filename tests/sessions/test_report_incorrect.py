"""The report lists what each answer got wrong, with the correction, and studies those subtopics first."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from rag.feedback.services import answer_feedback_generate
from sessions.models import InterviewSession, SessionStatus
from sessions.reporting import report_build
from tests.sessions.test_report import KEY_POINTS, LONG_ANSWER

pytestmark = pytest.mark.django_db

WRONG = {"point": KEY_POINTS[1], "sentence": "An index still scans the whole table, only faster.",
         "correction": "An index jumps to the matching rows instead of scanning the table.",
         "why": "Query cost is what a database interviewer checks first."}


def test_incorrect_points_are_reported_and_studied_first(candidate, candidate_client, answer_factory,  # noqa: ANN001
                                                         settings) -> None:  # noqa: ANN001
    settings.GEMINI_API_KEY = ""
    now = timezone.now()
    session = InterviewSession.objects.create(owner=candidate, status=SessionStatus.COMPLETED, started_at=now,
                                              finished_at=now)
    common = dict(user=candidate, session=session, input_mode="text", transcript=LONG_ANSWER, key_points=KEY_POINTS,
                  reference_answer="An index is a B-tree. It avoids a full scan. Writes get slower.")
    # A low-scoring answer that only missed points, and a higher-scoring one that got a point wrong.
    missed = answer_factory(subtopic="normalisation", content_score=40.0,
                            key_points_missed=[{"point": p} for p in KEY_POINTS], **common)
    wrong = answer_factory(subtopic="indexes", content_score=60.0, key_points_contradicted=[WRONG],
                           key_points_covered=[{"point": KEY_POINTS[0], "sentence": "An index is a B-tree."}],
                           red_flags=[], **common)
    for answer in (missed, wrong):
        answer_feedback_generate(answer_id=answer.pk)
    data = report_build(session_id=session.pk).data
    rows = {q["answer_id"]: q for q in data["questions"]}
    assert rows[wrong.pk]["incorrect"] == [{"point": WRONG["point"], "said": WRONG["sentence"],
                                            "correction": WRONG["correction"], "why": WRONG["why"]}]
    assert rows[missed.pk]["incorrect"] == [] and data["incorrect_count"] == 1
    # The subtopic with a wrong statement comes first, although the other answer scored lower.
    study = data["study_next"]
    assert study[0]["subtopic"] == "Indexes" and "got wrong: " + WRONG["point"] in study[0]["reason"]
    assert study[1]["subtopic"] == "Normalisation"
    html = candidate_client.get(reverse("interviews:report", args=[session.pk])).content.decode()
    assert "data-incorrect" in html and WRONG["correction"] in html and WRONG["sentence"] in html
