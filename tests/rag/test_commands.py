"""The score_answer and calibrate_scoring commands, end to end on the real bank (cut small)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_score_answer_finds_the_nearest_question_and_scores(small_bank) -> None:  # noqa: ANN001
    target = small_bank[0]
    out = run("score_answer", "--question", target.text.lower().rstrip("?"), "--answer", target.reference_answer,
              "--json")
    result = json.loads(out)
    assert result["matched_id"] == target.ext_id and result["matched_question"] == target.text
    assert result["content_score"] >= 80 and result["similarity"] > 0.95
    assert {c["point"] for c in result["key_points_covered"]} | {m["point"] for m in result["key_points_missed"]} \
        == set(target.key_points)

    off = json.loads(run("score_answer", "--question", target.text, "--answer",
                         "I enjoy hiking with my dog on weekends and cooking pasta.", "--json"))
    assert off["content_score"] < 10 and off["key_points_covered"] == []

    text = run("score_answer", "--question", target.text, "--answer", target.reference_answer)
    for label in ("matched_question:", "similarity:", "content_score:", "key_points_covered:", "key_points_missed:"):
        assert label in text


def test_score_answer_on_an_empty_bank_fails_clearly(db, settings, tmp_path) -> None:  # noqa: ANN001
    from rag.models import BankQuestion

    settings.FAISS_DIR = tmp_path
    BankQuestion.objects.update(is_active=False)
    with pytest.raises(CommandError, match="bank is empty"):
        run("score_answer", "--question", "What is a queue?", "--answer", "A FIFO structure.")


def test_calibrate_scoring_reports_threshold_precision_recall(small_bank) -> None:  # noqa: ANN001
    data = json.loads(run("calibrate_scoring", "--json"))
    assert {"threshold", "precision", "recall", "shipped_threshold", "shipped_precision"} <= set(data)
    assert data["positives"] > 0 and data["negatives"] > 0 and data["f1"] > 0.7
