"""The judgement targets of issue 14 on the HELD-OUT labelled set (tests/data/judgement/heldout.jsonl), which no
threshold or weight was tuned on (tuning.jsonl is for that): confidently wrong answers mean <= 25 and max <= 40,
excellent mean >= 80, pairs ordered within a question >= 90%, Spearman with the labels >= 0.8, and question matching
on the `asked` paraphrases.

The offline judge does not reach the contradiction targets yet (docs/judgement.md has the measured numbers and
why): that test is a strict xfail, so it turns into a failure the day the judge reaches them and the mark must go.
The floor test guards what the judge does reach against regressions.
"""

from __future__ import annotations

import pytest

from rag.evaluation import split_path
from tests.conftest import require

# Scoring 178 answers and matching 30 paraphrases: ~30 s on a quiet machine, minutes on a loaded one.
pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def heldout(django_db_setup, django_db_blocker):  # noqa: ANN001, ANN201
    from rag.evaluation import bank_matcher, bank_questions, evaluate, split_read

    require(split_path("heldout").is_file(), "the held-out labelled set tests/data/judgement/heldout.jsonl")
    with django_db_blocker.unblock():
        return evaluate(split_read("heldout"), questions=bank_questions(), split="heldout", matcher=bank_matcher)


@pytest.mark.xfail(strict=True, reason="offline contradiction detection misses most confidently wrong answers "
                                       "(docs/judgement.md)")
def test_heldout_meets_the_issue_targets(heldout) -> None:  # noqa: ANN001
    assert heldout.wrong_mean <= 25 and heldout.wrong_max <= 40
    assert heldout.excellent_mean >= 80
    assert heldout.pairs_ordered >= 0.90
    assert heldout.spearman >= 0.8


def test_heldout_floor_what_the_judge_reaches(heldout) -> None:  # noqa: ANN001
    kinds = heldout.kinds
    assert heldout.excellent_mean >= 80
    # Off-topic answers and lists of terms stay at the bottom; excellent answers at the top.
    for low in ("off_topic", "keywords"):
        if low in kinds:
            assert kinds[low]["mean"] < kinds["excellent"]["mean"] - 50
    assert heldout.contradicted["precision"] >= 0.4  # measured 0.47: a regression guard, not a target
    assert heldout.covered["precision"] >= 0.6
    assert heldout.matching["accuracy"] >= 0.95
    assert heldout.matching["confident_accuracy"] >= 0.97
