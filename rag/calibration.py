"""Calibrating the key-point threshold of rag/scoring.py on the bank itself (no hand-labelled data needed).

Positives: each key point against the best-matching sentence of its own question's reference answer (the reference
answer covers all its key points by construction). Negatives: the same key point against the best sentence of a
reference answer from another subtopic of the same topic (close in vocabulary, different in content: the hard
case), and from another topic (the easy case). The threshold maximises F1 over positives and negatives; precision
and recall at that threshold are reported so a change of bank or model shows up as a change of numbers.

`manage.py calibrate_scoring` prints the result; tests/rag/test_scoring.py checks the shipped threshold stays
within reach of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rag.embeddings import embed
from rag.scoring import coverage_similarities, keypoint_threshold, split_units


@dataclass
class Calibration:
    threshold: float
    precision: float
    recall: float
    f1: float
    positives: int
    negatives: int
    positive_median: float
    negative_median: float
    shipped_threshold: float = 0.0
    shipped_precision: float = 0.0
    shipped_recall: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def precision_recall(positives: np.ndarray, negatives: np.ndarray, threshold: float) -> tuple[float, float]:
    tp = int((positives >= threshold).sum())
    fp = int((negatives >= threshold).sum())
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / len(positives) if len(positives) else 0.0)


def threshold_best(positives: np.ndarray, negatives: np.ndarray) -> tuple[float, float, float, float]:
    """(threshold, precision, recall, f1) maximising F1 over candidate thresholds 0.05..0.85."""
    best = (0.5, 0.0, 0.0, -1.0)
    for threshold in np.round(np.arange(0.05, 0.851, 0.01), 2):
        tp = int((positives >= threshold).sum())
        fp = int((negatives >= threshold).sum())
        fn = len(positives) - tp
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best[3]:
            best = (float(threshold), precision, recall, f1)
    return best


def keypoint_pairs(questions: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(positive sims, negative sims) from bank questions given as dicts with ext_id, topic, subtopic,
    reference_answer and key_points."""
    sentences: list[list[str]] = [split_units(q["reference_answer"]) for q in questions]
    flat = [s for group in sentences for s in group]
    sentence_vectors = embed(flat)
    offsets = np.cumsum([0] + [len(g) for g in sentences])
    points = [(i, j) for i, q in enumerate(questions) for j in range(len(q["key_points"]))]
    point_vectors = embed([questions[i]["key_points"][j] for i, j in points])
    point_offsets = np.cumsum([0] + [len(q["key_points"]) for q in questions])

    def best(point_question: int, point_index: int, sentence_question: int) -> float:
        # As in scoring: centred on the centroid of the key point's own question.
        block = sentence_vectors[offsets[sentence_question]:offsets[sentence_question + 1]]
        own = point_vectors[point_offsets[point_question]:point_offsets[point_question + 1]]
        return float(coverage_similarities(block, own)[:, point_index].max())

    positives, negatives = [], []
    n = len(questions)
    for i, j_point in points:
        positives.append(best(i, j_point, i))
        q = questions[i]
        # Deterministic partners: the next question of the same topic in another subtopic, and the question
        # halfway round the bank if it is in another topic.
        same_topic = next((j for k in range(1, n) if (j := (i + k) % n) is not None
                           and questions[j]["topic"] == q["topic"] and questions[j]["subtopic"] != q["subtopic"]),
                          None)
        other = (i + n // 2) % n
        for j in (same_topic, other if questions[other]["topic"] != q["topic"] else None):
            if j is not None:
                negatives.append(best(i, j_point, j))
    return np.array(positives), np.array(negatives)


def keypoint_threshold_calibrate(questions: list[dict[str, Any]] | None = None) -> Calibration:
    if questions is None:
        from rag.models import BankQuestion

        questions = [{"ext_id": q.ext_id, "topic": q.topic_id, "subtopic": q.subtopic_id,
                      "reference_answer": q.reference_answer, "key_points": list(q.key_points)}
                     for q in BankQuestion.objects.filter(is_active=True).order_by("ext_id")]
    if not questions:
        raise ValueError("no bank questions to calibrate on")
    positives, negatives = keypoint_pairs(questions)
    threshold, precision, recall, f1 = threshold_best(positives, negatives)
    shipped = keypoint_threshold()
    shipped_precision, shipped_recall = precision_recall(positives, negatives, shipped)
    return Calibration(threshold=threshold, precision=round(precision, 4), recall=round(recall, 4),
                       f1=round(f1, 4), positives=len(positives), negatives=len(negatives),
                       positive_median=round(float(np.median(positives)), 4),
                       negative_median=round(float(np.median(negatives)), 4) if len(negatives) else 0.0,
                       shipped_threshold=shipped, shipped_precision=round(shipped_precision, 4),
                       shipped_recall=round(shipped_recall, 4))
