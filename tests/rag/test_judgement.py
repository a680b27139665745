"""Judgement of technical answers (rag/judgement.py, rag/polarity.py) and the judged score (rag/grading.py), with
the real MiniLM model and the real bank; score_answer's question matching and its low-confidence refusal."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from rag.bank_loader import bank_read
from rag.polarity import compare, negated
from tests.conftest import require

pytestmark = pytest.mark.slow

TECHNICAL = [f for f in bank_read() if f.topic.kind == "technical"]
PER_TOPIC = 4


def with_claim(item, misconception) -> str:  # noqa: ANN001
    """The reference answer with its sentence for the misconception's key point replaced by the wrong claim."""
    from rag.embeddings import embed_cached
    from rag.scoring import split_units

    units = split_units(item.reference_answer)
    point = embed_cached([item.key_points[misconception.key_point]])[0]
    units[int(np.argmax(embed_cached(units) @ point))] = misconception.claim
    return " ".join(units)


def judge(item, answer: str):  # noqa: ANN001, ANN201
    from rag.judgement import technical_judge

    return technical_judge(question=item.text, key_points=list(item.key_points), answer=answer,
                           misconceptions=item.misconceptions, reference_answer=item.reference_answer)


def test_polarity_sees_negation_swaps_and_numbers_that_embeddings_miss() -> None:
    swap = compare("A B-tree lookup is linear in the table size.", "A B-tree lookup is logarithmic in the keys.")
    assert swap.antonym_swaps == (("logarithmic", "linear"),) and swap.conflict
    negation = compare("The internet layer guarantees delivery of every packet.",
                       "IP routes packets without any guarantee of delivery.")
    assert negation.negation_mismatch
    # A negation about something the other sentence never mentions is not a contradiction of it.
    assert not compare("The link layer moves frames between devices on the network.",
                       "IP routes packets without any guarantee of delivery.").negation_mismatch
    assert compare("TCP opens with a two-way handshake.", "TCP opens a connection with a three-way handshake.") \
        .number_mismatch
    same = compare("A left join keeps all the rows of the left table.", "A left join keeps every row from the left "
                   "table.")
    assert not same.conflict and same.overlap >= 0.6
    assert negated("A left join keeps every row from the left table.") == \
        "A left join does not keep every row from the left table."
    assert negated("IP routes packets without any guarantee of delivery.").startswith("IP routes packets with any")
    assert negated("Caching makes lookups faster.") == "Caching makes lookups slower."


@pytest.mark.parametrize("bank_file", TECHNICAL, ids=[f.topic.slug for f in TECHNICAL])
def test_contradicted_points_in_every_technical_topic(bank_file) -> None:  # noqa: ANN001
    """A reference answer covers most points and contradicts nothing; the same answer with one sentence replaced by a
    known wrong claim contradicts that key point, quotes the claim and gives the bank's correction."""
    items = [item for item in bank_file.items if item.misconceptions and not item.duplicate_of][:PER_TOPIC]
    require(len(items) == PER_TOPIC, f"{bank_file.topic.slug}: fewer than {PER_TOPIC} questions with misconceptions")
    caught = 0
    for item in items:
        clean = judge(item, item.reference_answer)
        assert not clean.contradicted, (item.ext_id, [v.sentence for v in clean.contradicted])
        assert len(clean.covered) >= len(item.key_points) // 2
        wrong = item.misconceptions[0]
        verdict = judge(item, with_claim(item, wrong)).verdicts[wrong.key_point]
        if verdict.verdict == "contradicted":
            caught += 1
            assert verdict.sentence == wrong.claim and verdict.confidence > 0.5
            assert verdict.correction in {m.correction for m in item.misconceptions if m.key_point ==
                                          wrong.key_point}
    assert caught >= PER_TOPIC - 1, f"{bank_file.topic.slug}: {caught} of {PER_TOPIC} wrong claims caught"


def test_a_contradiction_costs_more_than_a_miss_and_caps_the_score() -> None:
    from rag.grading import CONTRADICTED_CAP, answer_grade
    from rag.scoring import split_units

    item = next(i for f in TECHNICAL for i in f.items if i.misconceptions)
    wrong = item.misconceptions[0]

    def grade(answer: str):  # noqa: ANN202
        return answer_grade(question=item.text, answer=answer, reference_answer=item.reference_answer,
                            key_points=list(item.key_points), misconceptions=item.misconceptions)

    right, contradicted = grade(item.reference_answer), grade(with_claim(item, wrong))
    claimed = with_claim(item, wrong)
    missing = grade(" ".join(u for u in split_units(claimed) if u != wrong.claim))
    assert right.content_score >= 80 and right.key_points_contradicted == []
    assert contradicted.content_score <= CONTRADICTED_CAP < right.content_score
    assert missing.content_score > contradicted.content_score
    entry = contradicted.key_points_contradicted[0]
    assert entry["point"] == item.key_points[wrong.key_point] and entry["sentence"] == wrong.claim
    assert entry["correction"] == wrong.correction and entry["why"] == wrong.why
    assert all(c["sentence"] != wrong.claim for c in contradicted.key_points_covered)


def test_empty_rambling_and_term_lists_lose_relevance() -> None:
    from rag.grading import answer_grade

    item = TECHNICAL[0].items[0]

    def grade(answer: str):  # noqa: ANN202
        return answer_grade(question=item.text, answer=answer, reference_answer=item.reference_answer,
                            key_points=list(item.key_points))

    empty = grade("   ")
    assert empty.content_score == 0 and empty.relevance == 0 and len(empty.key_points_missed) == len(item.key_points)
    waffle = ("I remember my first job, we had a great team and a lovely office near the river. My manager liked "
              "long lunches and we often talked about football and holidays. ")
    rambling = grade(waffle * 2 + item.reference_answer)
    focused = grade(item.reference_answer)
    assert rambling.relevance < focused.relevance and rambling.content_score < focused.content_score
    terms = grade(", ".join(item.tags or item.key_points[0].split()[:8]) + ".")
    assert terms.relevance < 0.5 and terms.content_score < focused.content_score / 2


# --- score_answer: matching a free-text question, refusing a low-confidence match -----------------------------

def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_score_answer_refuses_a_low_confidence_match_and_flags_it_when_allowed(small_bank) -> None:  # noqa: ANN001
    question = "What is your favourite colour of bicycle and why do cats purr?"
    with pytest.raises(CommandError, match="No bank question matches confidently"):
        run("score_answer", "--question", question, "--answer", "Blue, because it is calm.")
    flagged = json.loads(run("score_answer", "--question", question, "--answer", "Blue, because it is calm.",
                             "--json", "--allow-low-confidence"))
    assert flagged["match_confident"] is False and flagged["matched_id"]
    assert "LOW CONFIDENCE" in run("score_answer", "--question", question, "--answer", "Blue.",
                                   "--allow-low-confidence")


@pytest.mark.django_db
def test_score_answer_json_has_contradictions_relevance_and_red_flags(small_bank) -> None:  # noqa: ANN001
    from rag.models import BankQuestion

    target = next((q for q in small_bank if q.misconceptions and q.topic.kind == "technical"), None)
    require(target is not None, "no technical question with misconceptions in the small bank")
    wrong = target.misconceptions[0]
    item = next(i for f in TECHNICAL for i in f.items if i.ext_id == target.ext_id)
    answer = with_claim(item, next(m for m in item.misconceptions if m.claim == wrong["claim"]))
    result = json.loads(run("score_answer", "--question", target.text, "--answer", answer, "--json"))
    assert result["matched_id"] == target.ext_id and result["match_confident"] is True
    assert {"key_points_contradicted", "relevance", "red_flags"} <= set(result)
    assert [c["point"] for c in result["key_points_contradicted"]] == [target.key_points[wrong["key_point"]]]
    assert result["key_points_contradicted"][0]["correction"] == wrong["correction"]
    assert result["content_score"] <= 40
    assert BankQuestion.objects.filter(ext_id=target.ext_id).exists()
