"""Wrong is worse than missing: a contradicted key point gives its subtopic less credit than a missed one, brings the
subtopic back for review, and puts its correction in the study plan."""

from __future__ import annotations

import pytest

from mastery import rules
from mastery.models import MasteryEvent, StudyItemKind, SubtopicMastery
from mastery.services import mastery_apply_answer, study_plan_generate

pytestmark = pytest.mark.django_db

POINTS = ("A B-tree index makes a lookup logarithmic in the table size",
          "Every write must also update the index",
          "Indexes pay off on selective columns")


def test_the_rule_gives_a_contradicted_point_less_credit_than_a_missed_one() -> None:
    missed = rules.content_evidence(score=0.66, contradicted=0, points=3)
    wrong = rules.content_evidence(score=0.66, contradicted=1, points=3)
    assert missed == pytest.approx(0.66)
    assert wrong < missed and wrong <= rules.CONTRADICTED_CAP < rules.LAPSE_SCORE
    # More wrong points, less credit; never below 0.
    assert rules.content_evidence(score=0.66, contradicted=2, points=3) <= wrong
    assert rules.content_evidence(score=0.1, contradicted=3, points=3) == 0.0


def test_mastery_credit_is_lower_for_a_contradicted_answer_than_for_a_missed_one(candidate, other_candidate,
                                                                                  answer_factory) -> None:  # noqa: ANN001
    def apply(user, **fields):  # noqa: ANN001, ANN202
        answer = answer_factory(user=user, key_points=POINTS, subtopic="indexes", content_score=66.0,
                                key_points_covered=[{"point": POINTS[1], "sentence": "writes update it"},
                                                    {"point": POINTS[2], "sentence": "selective columns"}], **fields)
        mastery_apply_answer(answer_id=answer.pk)
        return MasteryEvent.objects.get(answer=answer), SubtopicMastery.objects.get(user=user,
                                                                                    subtopic__slug="indexes")

    missed_event, missed_row = apply(candidate, key_points_missed=[{"point": POINTS[0], "similarity": 0.1}])
    wrong_event, wrong_row = apply(other_candidate, key_points_contradicted=[
        {"point": POINTS[0], "sentence": "A B-tree lookup is linear in the table size.",
         "correction": POINTS[0], "why": "Index cost is the first thing a database interviewer checks."}])
    assert wrong_event.score < missed_event.score
    assert wrong_row.rating < missed_row.rating
    assert wrong_row.interval_days == rules.MIN_INTERVAL_DAYS  # back for review tomorrow

    plan = study_plan_generate(user=other_candidate, force=True)
    study = plan.items.get(kind=StudyItemKind.STUDY, subtopic=wrong_row.subtopic)
    assert "got wrong recently" in study.detail and POINTS[0] in study.detail
