"""Evaluating the tutor on a labelled set (tests/data/tutor/cases.jsonl; docs/tutor.md).

Each line: {"id", "split" ("tuning" | "heldout"), "kind" ("in" | "near" | "out" | "multi"), "after" (earlier
questions of the conversation, oldest first), "question", "expect" (bank ids that answer it; [] = the tutor must
say the bank does not cover it)}. An outcome is a right answer (answered from an expected id), a right refusal, a
missed answer (refused, though covered: unhelpful, not wrong) or a wrong answer (answered from another question,
or answered what it should have refused).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KINDS = ("in", "near", "out", "multi")
OUTCOMES = ("right_answer", "right_refusal", "missed", "wrong")


def tutor_cases_load(*, path: Path, split: str | None = None) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        case = json.loads(line)
        missing = {"id", "split", "kind", "question", "expect"} - case.keys()
        if missing or case["kind"] not in KINDS or case["split"] not in ("tuning", "heldout"):
            raise ValueError(f"line {number}: needs id, split, kind, question, expect (missing {sorted(missing)})")
        if split is None or case["split"] == split:
            cases.append(case)
    return cases


def tutor_outcome(*, expect: list[str], covered: bool, ext_id: str) -> str:
    if not covered:
        return "missed" if expect else "right_refusal"
    return "right_answer" if ext_id in expect else "wrong"


def tutor_evaluate(*, cases: list[dict[str, Any]]) -> dict[str, Any]:
    from rag.tutor import tutor_answer

    rows = []
    for case in cases:
        history: list[dict[str, Any]] = []
        for earlier in case.get("after", []):
            history.append(tutor_answer(question=earlier, history=history))
        reply = tutor_answer(question=case["question"], history=history)
        rows.append({"id": case["id"], "kind": case["kind"], "question": case["question"], "expect": case["expect"],
                     "got": reply["ext_id"], "score": reply["score"], "margin": reply["margin"],
                     "missing": reply.get("missing_terms", []),
                     "outcome": tutor_outcome(expect=case["expect"], covered=reply["covered"],
                                              ext_id=reply["ext_id"])})
    counts = {outcome: sum(r["outcome"] == outcome for r in rows) for outcome in OUTCOMES}
    return {"n": len(rows), "counts": counts, "wrong_rate": counts["wrong"] / len(rows) if rows else 0.0,
            "rows": rows}
