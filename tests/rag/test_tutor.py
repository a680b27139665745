"""The tutor: follow-ups resolved against the previous turn, answers only for what the bank covers, quotes of the
relevant sentences, sources only when used; measured on the labelled set tests/data/tutor/cases.jsonl."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from rag.tutor import _enumeration, question_resolve
from rag.tutor_evaluation import KINDS, tutor_cases_load, tutor_evaluate, tutor_outcome

CASES = Path(__file__).resolve().parents[1] / "data" / "tutor" / "cases.jsonl"


def test_enumerations_give_the_items_a_follow_up_can_point_at() -> None:
    assert _enumeration("Explain IaaS, PaaS, SaaS and serverless with examples.") == [
        "IaaS", "PaaS", "SaaS", "serverless"]
    assert _enumeration("What is the difference between continuous integration, continuous delivery and "
                        "continuous deployment?") == ["continuous integration", "continuous delivery",
                                                      "continuous deployment"]
    assert _enumeration("What is the difference between a mutex and a semaphore?") == ["a mutex", "a semaphore"]
    assert _enumeration("What is a closure?") == []


def test_follow_ups_are_rewritten_with_the_previous_turn() -> None:
    previous = {"question": "What are the cloud service models?", "query": "What are the cloud service models?",
                "focus": "What are the cloud service models?", "items": ["IaaS", "PaaS", "SaaS", "serverless"]}
    second = question_resolve(question="What about the second one?", previous=previous)
    assert second.follow_up and second.focus == "What is PaaS?" and "cloud service models" in second.query
    assert question_resolve(question="And the last one?", previous=previous).focus == "What is serverless?"
    why = question_resolve(question="Why?", previous=previous)
    assert why.follow_up and why.query == previous["query"] and why.focus.startswith("Why")
    java = question_resolve(question="And in Java?", previous=previous)
    assert java.follow_up and java.added == "in Java" and "Java" in java.focus
    # A first turn, or a long standalone question, is not a follow-up.
    assert not question_resolve(question="What about the second one?", previous=None).follow_up
    long_question = "Why does TCP need a three-way handshake before sending any application data at all?"
    assert not question_resolve(question=long_question, previous=previous).follow_up


def test_outcomes_count_a_refusal_of_a_covered_question_as_missed_not_wrong() -> None:
    assert tutor_outcome(expect=["a"], covered=True, ext_id="a") == "right_answer"
    assert tutor_outcome(expect=["a"], covered=True, ext_id="b") == "wrong"
    assert tutor_outcome(expect=[], covered=True, ext_id="b") == "wrong"
    assert tutor_outcome(expect=[], covered=False, ext_id="") == "right_refusal"
    assert tutor_outcome(expect=["a"], covered=False, ext_id="") == "missed"


@pytest.mark.django_db
def test_the_labelled_set_is_split_once_and_cites_active_bank_questions() -> None:
    from rag.models import BankQuestion

    cases = tutor_cases_load(path=CASES)
    assert len(cases) >= 40 and len({c["id"] for c in cases}) == len(cases)
    assert set(Counter(c["kind"] for c in cases)) == set(KINDS)
    for kind in KINDS:  # each kind is split in halves (at most one apart)
        splits = Counter(c["split"] for c in cases if c["kind"] == kind)
        assert abs(splits["tuning"] - splits["heldout"]) <= 1, kind
    assert any(not c["expect"] for c in cases) and any(c["expect"] for c in cases)
    active = set(BankQuestion.objects.filter(is_active=True).values_list("ext_id", flat=True))
    for case in cases:
        assert set(case["expect"]) <= active, case["id"]


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.parametrize("name", ["blind.jsonl", "blind2.jsonl"])
def test_questions_written_blind_wrong_answers_at_most_five_percent(name: str) -> None:
    """Sets written by helpers who saw only the bank's question list (docs/tutor.md). Learners' own long, contextual
    questions are matched weakly, so many covered ones are refused (the gap docs/tutor.md measures): the floor on
    right answers guards against a matcher that gets worse, the first two lines are the product's promise."""
    result = tutor_evaluate(cases=tutor_cases_load(path=CASES.parent / name))
    counts, n = result["counts"], result["n"]
    answerable = sum(1 for row in result["rows"] if row["expect"])
    assert counts["wrong"] <= 0.05 * n, [r for r in result["rows"] if r["outcome"] == "wrong"]
    assert counts["right_refusal"] >= 0.9 * (n - answerable), counts
    assert counts["right_answer"] >= 0.15 * answerable, counts


@pytest.mark.django_db
@pytest.mark.slow
def test_held_out_questions_wrong_answers_at_most_five_percent() -> None:
    result = tutor_evaluate(cases=tutor_cases_load(path=CASES, split="heldout"))
    counts, n = result["counts"], result["n"]
    answerable = sum(1 for row in result["rows"] if row["expect"])
    assert counts["wrong"] <= 0.05 * n, [r for r in result["rows"] if r["outcome"] == "wrong"]
    # Refusing everything would pass the line above: most covered questions must be answered from the right one,
    # and most uncovered ones refused.
    assert counts["right_answer"] >= 0.8 * answerable, counts
    assert counts["right_refusal"] >= 0.9 * (n - answerable), counts


@pytest.mark.django_db
@pytest.mark.slow
def test_the_second_one_picks_the_listed_item_and_quotes_only_its_sentences() -> None:
    from rag.tutor import tutor_answer

    first = tutor_answer(question="What are IaaS, PaaS and SaaS?")
    assert first["covered"] and first["ext_id"] == "cloud-devops-021" and len(first["sources"]) == 1
    second = tutor_answer(question="What about the second one?", history=[first])
    assert second["covered"] and second["ext_id"] == "cloud-devops-021" and second["focus"] == "What is PaaS?"
    assert "platform as a service" in second["answer"] and "Gmail" not in second["answer"]
    assert len(second["answer"]) < len(_reference("cloud-devops-021"))


@pytest.mark.django_db
@pytest.mark.slow
def test_outside_the_bank_names_the_nearest_question_and_shows_no_sources() -> None:
    from rag.tutor import tutor_answer

    for question, history in [("How does garbage collection work in the Java virtual machine?", []),
                              ("And in Java?", [tutor_answer(question="What is the GIL in Python?")])]:
        reply = tutor_answer(question=question, history=history)
        assert not reply["covered"] and reply["sources"] == [] and reply["key_points"] == []
        assert reply["answer"].startswith("The bank does not cover") and "the nearest question it has is" in reply[
            "answer"] and reply["nearest"]["question"] in reply["answer"]


@pytest.mark.django_db
@pytest.mark.slow
def test_page_keeps_the_conversation_and_shows_no_sources_for_nothing_close(candidate_client) -> None:  # noqa: ANN001
    candidate_client.post(reverse("rag:tutor"), {"question": "What is the difference between a mutex and a semaphore?"})
    candidate_client.post(reverse("rag:tutor"), {"question": "Why does that matter?"})
    page = candidate_client.get(reverse("rag:tutor")).content.decode()
    assert "Read with the previous question as: Why: What is the difference between a mutex" in page
    assert page.count("Sources (1)") == 2
    candidate_client.post(reverse("rag:tutor"), {"question": "How do I bake sourdough bread?"})
    page = candidate_client.get(reverse("rag:tutor")).content.decode()
    assert "The bank does not cover" in page and page.count("Sources (") == 2 and "not in the bank" in page


@pytest.mark.django_db
@pytest.mark.slow
def test_tutor_ask_command_prints_json_with_answer_sources_and_covered(capsys) -> None:  # noqa: ANN001
    call_command("tutor_ask", "What does ACID stand for in databases?", "--json")
    covered = json.loads(capsys.readouterr().out)
    assert covered["covered"] is True and covered["sources"][0]["ext_id"] == "databases-013" and covered["answer"]
    call_command("tutor_ask", "What is the second one?", "--after", "What are IaaS, PaaS and SaaS?", "--json")
    assert "PaaS" in json.loads(capsys.readouterr().out)["resolved_query"]
    call_command("tutor_ask", "Who won the football world cup in 2018?", "--json")
    refused = json.loads(capsys.readouterr().out)
    assert refused["covered"] is False and refused["sources"] == [] and "does not cover" in refused["answer"]


@pytest.mark.django_db
def test_tutor_ask_refuses_an_empty_question() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Ask a question first"):
        call_command("tutor_ask", "   ")


def _reference(ext_id: str) -> str:
    from rag.models import BankQuestion

    return BankQuestion.objects.get(ext_id=ext_id).reference_answer
