"""Matching a free-text question (as an interviewer would phrase it) to a bank question, with a confidence.

A paraphrase shares the question's intent more than its words, so a question is matched on three of its indexed
texts: its own wording ("q"), its key points ("kp": what the answer is about) and its reference answer ("ref").

    score  = Q_WEIGHT * cos(text, question) + KP_WEIGHT * mean of the 2 best cos(text, key point)
             + REF_WEIGHT * cos(text, reference answer)
    margin = best score - second-best score

A match is confident when score >= MATCH_MIN and margin >= MARGIN_MIN, or score >= MATCH_SURE whatever the margin.
`score_answer` refuses a match that is not confident (or, with --allow-low-confidence, scores it and flags it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# Tuned on the `asked` paraphrases of tests/data/judgement/tuning.jsonl (docs/judgement.md).
Q_WEIGHT = 0.6
KP_WEIGHT = 0.25
REF_WEIGHT = 0.15
MATCH_MIN = 0.45
MARGIN_MIN = 0.03
MATCH_SURE = 0.70


@dataclass(frozen=True)
class QuestionMatch:
    ext_id: str
    score: float
    margin: float
    runner_up: str
    confident: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def match_scores(hits: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """(ext_id, field, cosine) hits of one query -> a score per question (see the module docstring)."""
    by_question: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for ext_id, field, value in hits:
        by_question[ext_id][field].append(float(value))
    scores = {}
    for ext_id, fields in by_question.items():
        q = max(fields.get("q", [0.0]))
        points = sorted(fields.get("kp", [0.0]), reverse=True)[:2]
        ref = max(fields.get("ref", [0.0]))
        scores[ext_id] = Q_WEIGHT * q + KP_WEIGHT * sum(points) / len(points) + REF_WEIGHT * ref
    return scores


def match_best(scores: dict[str, float]) -> QuestionMatch | None:
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best_id, best = ranked[0]
    runner_id, runner = ranked[1] if len(ranked) > 1 else ("", 0.0)
    margin = best - runner
    confident = best >= MATCH_SURE or (best >= MATCH_MIN and margin >= MARGIN_MIN)
    return QuestionMatch(ext_id=best_id, score=round(best, 4), margin=round(margin, 4), runner_up=runner_id,
                         confident=confident)
