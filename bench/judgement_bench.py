"""Judged scoring benchmark: time per answer of the judged scorer (rag.grading.answer_grade: a verdict per key point,
relevance, red flags) against the previous embedding-coverage scorer (rag.scoring.content_score), in one run.

    .venv/bin/python bench/judgement_bench.py [--split tuning] [--limit 0]

Answers are the labelled set's (tests/data/judgement/<split>.jsonl), each scored once by each scorer, alternating,
after a warm-up that loads MiniLM and caches every question's key points, reference sentences and misconception
claims as a warm worker has them. Each answer's own sentences are new to both scorers when timed. Prints medians,
p90 and the ratio; the target is p50 <= 100 ms per answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewprep.settings")

import django

django.setup()

from rag.bank_loader import bank_read
from rag.evaluation import Question, split_read
from rag.grading import answer_grade
from rag.scoring import content_score


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="tuning", choices=("tuning", "heldout"))
    parser.add_argument("--limit", type=int, default=0, help="score only the first N answers (0: all)")
    args = parser.parse_args()
    questions = {item.ext_id: Question(ext_id=item.ext_id, text=item.text, reference_answer=item.reference_answer,
                                       key_points=item.key_points,
                                       misconceptions=tuple(vars(m) for m in item.misconceptions),
                                       behavioral=bank_file.topic.kind == "behavioral")
                 for bank_file in bank_read() for item in bank_file.items}
    items = split_read(args.split)
    if args.limit:
        items = items[:args.limit]

    def judged(q: Question, answer: str) -> float:
        return answer_grade(question=q.text, answer=answer, reference_answer=q.reference_answer,
                            key_points=list(q.key_points), misconceptions=q.misconceptions,
                            behavioral=q.behavioral).content_score

    def baseline(q: Question, answer: str) -> float:
        return content_score(answer=answer, reference_answer=q.reference_answer, key_points=list(q.key_points),
                             rubric=q.behavioral).content_score

    started = time.perf_counter()
    for ext_id in sorted({item["question_id"] for item in items}):  # warm-up: model, per-question texts cached
        q = questions[ext_id]
        judged(q, q.reference_answer)
        baseline(q, q.reference_answer)
    warm_s = time.perf_counter() - started
    times: dict[str, list[float]] = {"judged": [], "baseline": []}
    for item in items:
        q = questions[item["question_id"]]
        for name, scorer in (("baseline", baseline), ("judged", judged)):
            t0 = time.perf_counter()
            scorer(q, item["answer"])
            times[name].append((time.perf_counter() - t0) * 1000)
    result = {name: {"p50_ms": round(statistics.median(v), 1), "p90_ms": round(_p(v, 90), 1), "n": len(v)}
              for name, v in times.items()}
    result["ratio_p50"] = round(result["judged"]["p50_ms"] / result["baseline"]["p50_ms"], 2)
    result["warm_up_s"] = round(warm_s, 1)
    result["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
