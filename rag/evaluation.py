"""Evaluating judgement and scoring on a labelled set (tests/data/judgement/<split>.jsonl).

Each line: {"id", "question_id", "asked" (a paraphrase of the question), "kind", "answer", "label" 0-100,
"covered": [key point texts], "contradicted": [key point texts], "wrong_claims", "red_flags"}.

Reported (`manage.py evaluate_judgement`): per kind n / mean / min / max score; the wrong answers' mean and max and
the excellent answers' mean; the share of pairs within a question (different labels) the scores order the same
way as the labels; Spearman's rank correlation with the labels; precision and recall of "covered" and
"contradicted" against the per-point labels (technical questions); and the accuracy of matching the `asked`
paraphrases to their bank question.

The tuning split is for choosing thresholds and weights; the held-out split only for the final numbers and tests.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

SPLITS = ("tuning", "heldout")
WRONG_KINDS = ("wrong",)


def split_path(split: str) -> Path:
    return Path(settings.BASE_DIR) / "tests" / "data" / "judgement" / f"{split}.jsonl"


def split_read(split: str) -> list[dict[str, Any]]:
    """The labelled items of one split; a clear error when the file is missing or a line is malformed."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: one of {', '.join(SPLITS)}")
    path = split_path(split)
    if not path.is_file():
        raise FileNotFoundError(f"labelled set not found: {path}")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}:{number}: not JSON ({exc})") from exc
        missing = {"question_id", "kind", "answer", "label"} - set(item)
        if missing:
            raise ValueError(f"{path.name}:{number}: missing {sorted(missing)}")
        items.append(item)
    return items


@dataclass(frozen=True)
class Question:
    ext_id: str
    text: str
    reference_answer: str
    key_points: tuple[str, ...]
    misconceptions: tuple[dict[str, Any], ...] = ()
    behavioral: bool = False


def bank_questions() -> dict[str, Question]:
    """Every bank question in the database, by ext_id."""
    from rag.models import BankQuestion

    return {q.ext_id: Question(ext_id=q.ext_id, text=q.text, reference_answer=q.reference_answer,
                               key_points=tuple(q.key_points), misconceptions=tuple(q.misconceptions or ()),
                               behavioral=q.topic.kind == "behavioral")
            for q in BankQuestion.objects.select_related("topic")}


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties)."""
    def ranks(values: Sequence[float]) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        order = values.argsort(kind="mergesort")
        result = np.empty(len(values))
        result[order] = np.arange(len(values), dtype=float)
        for value in np.unique(values):
            tied = values == value
            result[tied] = result[tied].mean()
        return result

    if len(a) < 2:
        return 0.0
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def pairs_ordered(items: list[dict[str, Any]], scores: list[float]) -> tuple[int, int]:
    """(pairs ordered like the labels, pairs with different labels), within each question; a score tie counts as
    not ordered."""
    by_question: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_question[item["question_id"]].append(i)
    ordered = total = 0
    for indexes in by_question.values():
        for i, j in combinations(indexes, 2):
            li, lj = items[i]["label"], items[j]["label"]
            if li == lj:
                continue
            total += 1
            ordered += (scores[i] - scores[j]) * (li - lj) > 0
    return ordered, total


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split()).rstrip(".")


@dataclass
class PointCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: set[str], actual: set[str]) -> None:
        self.tp += len(predicted & actual)
        self.fp += len(predicted - actual)
        self.fn += len(actual - predicted)

    def as_dict(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return {"precision": round(precision, 3), "recall": round(recall, 3), "tp": self.tp, "fp": self.fp,
                "fn": self.fn}


@dataclass
class Evaluation:
    split: str
    approach: str
    n: int
    kinds: dict[str, dict[str, float]]
    wrong_mean: float
    wrong_max: float
    excellent_mean: float
    pairs_ordered: float
    pairs: int
    spearman: float
    covered: dict[str, Any]
    contradicted: dict[str, Any]
    matching: dict[str, Any] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, *, with_scores: bool = False) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "scores"}
        if with_scores:
            data["scores"] = self.scores
        return data


Scorer = Callable[[Question, str], Any]  # (question, answer) -> ContentScore


def scorer_for(approach: str) -> Scorer:
    """The scorer of an approach: "judged" (the shipped judge), "embedding" (the judge without contradiction
    checks), "misconceptions" / "lexical" / "classifier" (one check alone), "judged+classifier" (the shipped
    judge plus the pair classifier of rag/contradiction.py), "baseline" (the previous coverage-only scorer)."""
    from rag.grading import answer_grade
    from rag.judgement import JudgeOptions, technical_judge
    from rag.scoring import content_score

    if approach == "baseline":
        return lambda q, answer: content_score(answer=answer, reference_answer=q.reference_answer,
                                               key_points=list(q.key_points), rubric=q.behavioral)
    options = {"judged": JudgeOptions(), "embedding": JudgeOptions(misconceptions=False, lexical=False),
               "misconceptions": JudgeOptions(lexical=False), "lexical": JudgeOptions(misconceptions=False),
               "classifier": JudgeOptions(misconceptions=False, classifier=True),
               "judged+classifier": JudgeOptions(classifier=True)}
    if approach not in options:
        raise ValueError(f"unknown approach {approach!r}")

    def score(q: Question, answer: str) -> Any:
        judgement = None
        if not q.behavioral:
            judgement = technical_judge(question=q.text, key_points=list(q.key_points), answer=answer,
                                        misconceptions=q.misconceptions, reference_answer=q.reference_answer,
                                        options=options[approach])
        return answer_grade(question=q.text, answer=answer, reference_answer=q.reference_answer,
                            key_points=list(q.key_points), misconceptions=q.misconceptions,
                            behavioral=q.behavioral, judgement=judgement)
    return score


def evaluate(items: list[dict[str, Any]], *, questions: dict[str, Question], approach: str = "judged",
             split: str = "", matcher: Callable[[str], tuple[str, bool] | None] | None = None) -> Evaluation:
    """Score every item against its intended question and compute the report (see the module docstring)."""
    unknown = sorted({item["question_id"] for item in items} - set(questions))
    if unknown:
        raise ValueError(f"labelled items name questions missing from the bank: {', '.join(unknown[:5])}")
    scorer = scorer_for(approach)
    scores, rows = [], []
    covered, contradicted = PointCounts(), PointCounts()
    for item in items:
        q = questions[item["question_id"]]
        result = scorer(q, item["answer"])
        scores.append(result.content_score)
        rows.append({"id": item.get("id"), "kind": item["kind"], "label": item["label"],
                     "score": result.content_score, "contradicted": len(result.key_points_contradicted)})
        if not q.behavioral and "covered" in item:
            covered.add({_norm(c["point"]) for c in result.key_points_covered}, {_norm(p) for p in item["covered"]})
            contradicted.add({_norm(c["point"]) for c in result.key_points_contradicted},
                             {_norm(p) for p in item.get("contradicted", [])})
    kinds: dict[str, list[float]] = defaultdict(list)
    for item, score in zip(items, scores, strict=True):
        kinds[item["kind"]].append(score)
    table = {kind: {"n": len(v), "mean": round(float(np.mean(v)), 1), "min": round(float(np.min(v)), 1),
                    "max": round(float(np.max(v)), 1)} for kind, v in sorted(kinds.items())}
    wrong = [s for item, s in zip(items, scores, strict=True) if item["kind"] in WRONG_KINDS]
    ordered, total = pairs_ordered(items, scores)
    matching: dict[str, Any] = {}
    if matcher is not None:
        asked = {(item["asked"], item["question_id"]) for item in items if item.get("asked")}
        right = confident = confident_right = 0
        misses = []
        for text, expected in sorted(asked):
            found = matcher(text)
            ok = found is not None and found[0] == expected
            right += ok
            if found is not None and found[1]:
                confident += 1
                confident_right += ok
            if not ok:
                misses.append({"asked": text, "expected": expected, "got": found[0] if found else None})
        matching = {"n": len(asked), "accuracy": round(right / len(asked), 3) if asked else 0.0,
                    "confident": confident, "confident_accuracy":
                    round(confident_right / confident, 3) if confident else 0.0, "misses": misses}
    return Evaluation(
        split=split, approach=approach, n=len(items), kinds=table,
        wrong_mean=round(float(np.mean(wrong)), 1) if wrong else 0.0,
        wrong_max=round(float(np.max(wrong)), 1) if wrong else 0.0,
        excellent_mean=table.get("excellent", {}).get("mean", 0.0),
        pairs_ordered=round(ordered / total, 3) if total else 0.0, pairs=total,
        spearman=round(spearman(scores, [item["label"] for item in items]), 3),
        covered=covered.as_dict(), contradicted=contradicted.as_dict(), matching=matching, scores=rows)


def bank_matcher(text: str) -> tuple[str, bool] | None:
    """The shipped question matcher (rag.selectors.bank_match) as (ext_id, confident)."""
    from rag.selectors import bank_match

    found = bank_match(text=text)
    return None if found is None else (found[0].ext_id, found[1].confident)
