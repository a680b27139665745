"""Draw the "covered" evidence claims to check by hand (issue 14: precision of covered evidence on 50 claims).

For every held-out answer, the product's judge (rag.grading.judge: technical_judge or behavioral_judge) gives a
verdict per key point with the sentence that decided it. Each "covered" verdict is a claim "point P is covered,
evidenced by sentence S". The script collects them all and draws N (default 50) with random.Random(14), stratified
by answer kind: every kind that produces claims gets at least one, the rest is shared in proportion to each kind's
number of claims (largest remainder). Deterministic for a given bank and judge.

    VAR_DIR=<dir with a loaded bank> .venv/bin/python tests/data/judgement/evidence_sample.py [N] > claims.jsonl

Prints JSON lines (answer_id, kind, question_id, point, sentence, judge_confidence, similarity, answer) to stdout
and the per-kind totals to stderr. The hand verdicts are in evidence_check.jsonl (see README.md).
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SEED = 14


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewprep.settings")
    import django

    django.setup()


def claims() -> list[dict]:
    from django.db import DatabaseError

    from rag.evaluation import bank_questions, split_read
    from rag.grading import judge

    try:
        questions = bank_questions()
    except DatabaseError as exc:
        raise SystemExit(f"no usable bank database ({exc}): run `manage.py migrate` and `manage.py load_bank`") from exc
    if not questions:
        raise SystemExit("the bank is empty: run `manage.py migrate` and `manage.py load_bank` first")
    found = []
    for item in split_read("heldout"):
        q = questions.get(item["question_id"])
        if q is None:
            raise SystemExit(f"{item['id']}: question {item['question_id']} is not in the bank")
        judgement = judge(question=q.text, key_points=list(q.key_points), answer=item["answer"],
                          reference_answer=q.reference_answer, misconceptions=q.misconceptions,
                          behavioral=q.behavioral)
        for v in judgement.covered:
            found.append({"answer_id": item["id"], "kind": item["kind"], "question_id": item["question_id"],
                          "point": v.point, "sentence": v.sentence, "judge_confidence": v.confidence,
                          "similarity": v.similarity, "answer": " ".join(item["answer"].split())})
    return found


def draw(found: list[dict], n: int, seed: int = SEED) -> list[dict]:
    """n claims, stratified by kind (at least one per kind that has claims, then proportional)."""
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for claim in found:
        by_kind[claim["kind"]].append(claim)
    kinds = sorted(by_kind)
    if n < len(kinds):
        raise SystemExit(f"cannot draw {n} claims over {len(kinds)} kinds")
    n = min(n, len(found))
    quota = {k: 1 for k in kinds}
    rest = n - len(kinds)
    shares = {k: rest * len(by_kind[k]) / len(found) for k in kinds}
    for k in kinds:
        quota[k] += int(shares[k])
    leftover = n - sum(quota.values())
    for k in sorted(kinds, key=lambda k: (-(shares[k] - int(shares[k])), k))[:leftover]:
        quota[k] += 1
    rng = random.Random(seed)
    drawn = []
    for k in kinds:
        pool = sorted(by_kind[k], key=lambda c: (c["answer_id"], c["point"]))
        drawn += rng.sample(pool, min(quota[k], len(pool)))
    return sorted(drawn, key=lambda c: (c["answer_id"], c["point"]))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    _setup()
    found = claims()
    counts: dict[str, int] = defaultdict(int)
    for c in found:
        counts[c["kind"]] += 1
    print(f"{len(found)} covered claims: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
          file=sys.stderr)
    for claim in draw(found, n):
        print(json.dumps(claim, ensure_ascii=False))


if __name__ == "__main__":
    main()
