"""The content score of an answer from its judgement (rag/judgement.py, rag/behavioral.py): 0-100.

    credit      covered = 1, missed = the near-miss partial credit of rag/scoring.py, contradicted = -CONTRADICTION_COST
                (saying the opposite of a point is worse than not saying it)
    coverage    mean credit over the key points, clipped to [0, 1]
    raw         SIMILARITY_WEIGHT * rescale(similarity to the reference) + (1 - SIMILARITY_WEIGHT) * coverage
    relevance   factor RELEVANCE_FLOOR + (1 - RELEVANCE_FLOOR) * rescale(relevance, RELEVANCE_LOW, RELEVANCE_HIGH):
                the core buried in waffle, or a list of terms, loses up to 1 - RELEVANCE_FLOOR
    length      LENGTH_FLOOR + (1 - LENGTH_FLOOR) * min(1, words / LENGTH_FULL_WORDS): short but right loses little
    score       100 * raw * length * relevance factor, then capped: any contradicted point caps it at
                CONTRADICTED_CAP (minus CONTRADICTED_STEP per further contradiction), so a fluent wrong answer
                never lands in the upper bands; a "fail" red flag (a story that does not answer the question)
                caps it at FAIL_CAP, each "major" flag costs MAJOR_FLAG_COST points.

Behavioral questions go to `behavioral_judge` (rubric points judged on meaning, red flags); technical ones to
`technical_judge`. `rag.scoring.content_score` is the previous, embedding-coverage-only scorer (the baseline of
bench/judgement_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.embeddings import embed_cached
from rag.judgement import technical_judge
from rag.scoring import (
    PARTIAL_BAND,
    PARTIAL_CREDIT,
    SIM_HIGH,
    SIM_LOW,
    ContentScore,
    _mean_unit,
    _rescale,
    keypoint_threshold,
    quality_factor,
    reference_vector,
    split_units,
)
from rag.verdicts import CONTRADICTED, COVERED, Judgement

# Tuned on tests/data/judgement/tuning.jsonl (docs/judgement.md).
CONTRADICTION_COST = 1.0
SIMILARITY_WEIGHT = 0.5  # the coverage-only scorer uses 0.25; with verdicts, similarity to the reference ranks better
CONTRADICTED_CAP = 40.0
CONTRADICTED_STEP = 12.0
RELEVANCE_FLOOR = 0.5
RELEVANCE_LOW = 0.35
RELEVANCE_HIGH = 1.0
FAIL_CAP = 20.0
MAJOR_FLAG_COST = 10.0
LENGTH_FLOOR = 0.7
LENGTH_FULL_WORDS = 25
BEHAVIORAL_COVERAGE_FULL = 0.7
BEHAVIORAL_SIM_LOW = 0.10
BEHAVIORAL_SIM_HIGH = 0.70


def judge(*, question: str, key_points: list[str], answer: str, reference_answer: str,
          misconceptions: Sequence[Any] = (), behavioral: bool = False) -> Judgement:
    """The judge for the question's kind (the seam between scoring and the two judges)."""
    if behavioral:
        from rag.behavioral import behavioral_judge

        return behavioral_judge(question=question, key_points=key_points, answer=answer,
                                misconceptions=[m if isinstance(m, dict) else vars(m) for m in misconceptions])
    return technical_judge(question=question, key_points=key_points, answer=answer, misconceptions=misconceptions,
                           reference_answer=reference_answer)


def _similarity(units: list[str], reference_answer: str) -> float:
    if not units or not reference_answer:
        return 0.0
    return float(_mean_unit(embed_cached(units)) @ reference_vector(reference_answer))


def answer_grade(*, question: str, answer: str, reference_answer: str, key_points: list[str],
                 misconceptions: Sequence[Any] = (), behavioral: bool = False,
                 judgement: Judgement | None = None) -> ContentScore:
    """Judge `answer` (unless a judgement is given) and score it; the result carries every verdict."""
    answer = " ".join((answer or "").split())
    key_points = [" ".join(p.split()) for p in key_points if p and p.strip()]
    units = split_units(answer)
    if not units:
        return ContentScore(content_score=0.0, similarity=0.0, relevance=0.0,
                            key_points_missed=[{"point": p, "similarity": 0.0, "closest": ""} for p in key_points],
                            details={"reason": "empty answer", "mode": "judged"})
    if judgement is None:
        judgement = judge(question=question, key_points=key_points, answer=answer,
                          reference_answer=reference_answer, misconceptions=misconceptions, behavioral=behavioral)
    similarity = _similarity(units, reference_answer)
    threshold = keypoint_threshold(len(key_points))
    credits = []
    for verdict in judgement.verdicts:
        if verdict.verdict == COVERED:
            credits.append(1.0)
        elif verdict.verdict == CONTRADICTED:
            credits.append(-CONTRADICTION_COST)
        elif behavioral:
            credits.append(0.0)
        else:
            credits.append(PARTIAL_CREDIT * _rescale(verdict.similarity, threshold - PARTIAL_BAND, threshold))
    coverage = float(np.clip(np.mean(credits), 0.0, 1.0)) if credits else 0.0
    if behavioral:
        # A strong story rarely hits every rubric point word for word: full credit from BEHAVIORAL_COVERAGE_FULL.
        coverage = min(1.0, coverage / BEHAVIORAL_COVERAGE_FULL)
    low, high = (BEHAVIORAL_SIM_LOW, BEHAVIORAL_SIM_HIGH) if behavioral else (SIM_LOW, SIM_HIGH)
    sim_part = _rescale(similarity, low, high)
    if credits and reference_answer:
        raw = SIMILARITY_WEIGHT * sim_part + (1 - SIMILARITY_WEIGHT) * coverage
    else:
        raw = coverage if credits else sim_part
    _, parts = quality_factor(answer)
    # Length only: a list of terms already loses through relevance (its units do not count as addressing the
    # question), and a short answer that is right is worth more than the coverage-only scorer gave it.
    quality = LENGTH_FLOOR + (1 - LENGTH_FLOOR) * min(1.0, len(answer.split()) / LENGTH_FULL_WORDS)
    relevance_factor = RELEVANCE_FLOOR + (1 - RELEVANCE_FLOOR) * _rescale(judgement.relevance, RELEVANCE_LOW,
                                                                          RELEVANCE_HIGH)
    score = 100.0 * raw * quality * relevance_factor
    contradicted = judgement.contradicted
    if contradicted:
        score = min(score, CONTRADICTED_CAP - CONTRADICTED_STEP * (len(contradicted) - 1))
    majors = [f for f in judgement.red_flags if f.severity == "major"]
    score -= MAJOR_FLAG_COST * len(majors)
    if judgement.failed:
        score = min(score, FAIL_CAP)
    score = round(float(np.clip(score, 0.0, 100.0)), 1)
    return ContentScore(
        content_score=score, similarity=round(similarity, 4),
        key_points_covered=[{"point": v.point, "sentence": v.sentence, "similarity": v.similarity,
                             "confidence": v.confidence} for v in judgement.covered],
        key_points_missed=[{"point": v.point, "similarity": v.similarity, "closest": v.closest}
                           for v in judgement.missed],
        key_points_contradicted=[{"point": v.point, "sentence": v.sentence, "correction": v.correction,
                                  "why": v.why, "confidence": v.confidence} for v in contradicted],
        relevance=round(judgement.relevance, 4), red_flags=[f.as_dict() for f in judgement.red_flags],
        coverage=round(coverage, 4), quality=round(quality, 4),
        details={"mode": "rubric" if behavioral else "facts", "similarity_part": round(sim_part, 4),
                 "relevance_factor": round(relevance_factor, 4), "threshold": threshold, **parts,
                 "units": len(units)})
