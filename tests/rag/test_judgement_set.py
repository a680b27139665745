"""The labelled judgement set (tests/data/judgement) stays consistent with the bank and with its own rules.

The set's labels cite key points by their exact text, so a bank edit that rewords a cited point must fail here
rather than leave labels pointing at nothing. The rules checked are the ones its README states."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SET_DIR = ROOT / "tests" / "data" / "judgement"
PARTS = ("tuning", "heldout")
TECHNICAL_KINDS = {"excellent", "short_right", "partial", "rambling", "keywords", "wrong", "off_topic"}
BEHAVIORAL_KINDS = {"strong", "no_result", "vague", "we_only", "blaming", "disguised_strength", "off_question"}
LABEL_RANGES = {
    "excellent": (85, 98), "short_right": (50, 70), "partial": (40, 65), "rambling": (45, 70),
    "keywords": (15, 35), "wrong": (5, 30), "off_topic": (0, 10), "strong": (80, 95), "no_result": (35, 55),
    "vague": (20, 40), "we_only": (40, 60), "blaming": (10, 30), "disguised_strength": (15, 35),
    "off_question": (0, 15),
}
FLAGS = {"no_result": ["no_result"], "vague": ["vague"], "we_only": ["we_only"], "blaming": ["blame"],
         "disguised_strength": ["disguised_strength"], "off_question": ["off_question"]}
FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|me|my|mine)\b", re.IGNORECASE)


def _bank() -> dict[str, dict]:
    questions: dict[str, dict] = {}
    for path in sorted((ROOT / "rag" / "bank").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for question in data["questions"]:
            questions[question["id"]] = {**question, "topic": data["topic"]["slug"],
                                         "kind": data["topic"]["kind"]}
    return questions


def _rows() -> dict[str, list[dict]]:
    return {part: [json.loads(line) for line in (SET_DIR / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()]
            for part in PARTS}


@pytest.fixture(scope="module")
def bank() -> dict[str, dict]:
    return _bank()


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict]]:
    return _rows()


def test_ids_unique_and_questions_split_once(rows: dict[str, list[dict]]) -> None:
    ids = [row["id"] for part in PARTS for row in rows[part]]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"j-\d{4}", i) for i in ids)
    tuning = {row["question_id"] for row in rows["tuning"]}
    heldout = {row["question_id"] for row in rows["heldout"]}
    assert not tuning & heldout


def test_split_follows_the_stated_rule(rows: dict[str, list[dict]], bank: dict[str, dict]) -> None:
    """Within each topic the sorted question ids alternate: 1st, 3rd, ... tuning; 2nd, 4th, ... held-out."""
    part_of = {row["question_id"]: part for part in PARTS for row in rows[part]}
    by_topic: dict[str, list[str]] = defaultdict(list)
    for qid in part_of:
        by_topic[bank[qid]["topic"]].append(qid)
    for qids in by_topic.values():
        for position, qid in enumerate(sorted(qids)):
            assert part_of[qid] == ("heldout" if position % 2 else "tuning"), qid


def test_labels_cite_the_bank_exactly(rows: dict[str, list[dict]], bank: dict[str, dict]) -> None:
    for row in itertools.chain(*rows.values()):
        question = bank.get(row["question_id"])
        assert question is not None, row["id"]
        points = set(question["key_points"])
        for point in row["covered"] + row["contradicted"]:
            assert point in points, f"{row['id']}: key point not in the bank: {point}"
        assert not set(row["covered"]) & set(row["contradicted"]), row["id"]
        for claim in row["wrong_claims"]:
            assert claim in row["answer"], row["id"]
        assert not re.search(r"salary|notice period|relocat", question["question"], re.IGNORECASE)


def test_kinds_labels_and_flags(rows: dict[str, list[dict]], bank: dict[str, dict]) -> None:
    for row in itertools.chain(*rows.values()):
        behavioral = bank[row["question_id"]]["kind"] != "technical"
        assert row["kind"] in (BEHAVIORAL_KINDS if behavioral else TECHNICAL_KINDS), row["id"]
        low, high = LABEL_RANGES[row["kind"]]
        assert low <= row["label"] <= high, row["id"]
        assert row["red_flags"] == FLAGS.get(row["kind"], []), row["id"]
        words = len(row["answer"].split())
        if row["kind"] == "excellent":
            assert 90 <= words <= 180, row["id"]
        if row["kind"] == "short_right":
            assert 20 <= words <= 45, row["id"]
        if row["kind"] == "rambling":
            assert 150 <= words <= 250, row["id"]
        if row["kind"] == "wrong":
            assert row["contradicted"] and row["wrong_claims"], row["id"]
        if row["kind"] == "we_only":
            assert not FIRST_PERSON.search(row["answer"]), row["id"]
        if row["kind"] == "disguised_strength":
            assert bank[row["question_id"]]["subtopic"] == "strengths-weaknesses", row["id"]


def test_labels_order_answers_within_a_question(rows: dict[str, list[dict]]) -> None:
    by_question: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in itertools.chain(*rows.values()):
        assert row["kind"] not in by_question[row["question_id"]], f"two {row['kind']} answers to one question"
        by_question[row["question_id"]][row["kind"]] = row
    for qid, answers in by_question.items():
        top = answers.get("excellent") or answers["strong"]
        assert all(a["label"] < top["label"] for a in answers.values() if a is not top), qid
        bottom = answers.get("off_topic")
        if bottom:
            assert all(a["label"] > bottom["label"] for a in answers.values() if a is not bottom), qid
        if "wrong" in answers:
            right = [a["label"] for a in answers.values() if a["kind"] in {"short_right", "partial", "rambling"}]
            assert all(answers["wrong"]["label"] < label for label in right), qid
        for x, y in itertools.permutations(answers.values(), 2):
            if (x["kind"] in {"short_right", "partial"} and y["kind"] in {"short_right", "partial", "rambling"}
                    and set(x["covered"]) > set(y["covered"])):
                assert x["label"] >= y["label"], (qid, x["kind"], y["kind"])


def test_set_size_and_coverage(rows: dict[str, list[dict]], bank: dict[str, dict]) -> None:
    every = list(itertools.chain(*rows.values()))
    kinds = Counter(row["kind"] for row in every)
    questions = {row["question_id"] for row in every}
    technical = {q for q in questions if bank[q]["kind"] == "technical"}
    assert len(every) >= 300 and len(questions) >= 60
    assert sum(1 for row in every if row["question_id"] not in technical) >= 60
    assert all(kinds[kind] >= 40 for kind in TECHNICAL_KINDS), kinds
    assert {bank[q]["topic"] for q in technical} == {q["topic"] for q in bank.values() if q["kind"] == "technical"}
    for part in PARTS:
        assert {row["kind"] for row in rows[part]} >= TECHNICAL_KINDS | (BEHAVIORAL_KINDS - {"disguised_strength"})
