"""Reproducible figures behind two follow-up thresholds (`manage.py followup_table --fit|--disguised`).

- Fit of a bank follow-up to a key point (rag.followups.FIT_MARGIN): the bank's per-key-point probes are labelled
  pairs (probe i belongs to key point i). The bank files are split once by their sorted position: even positions
  tune, odd positions are held out.
- Disguised strengths (rag/weakness.py): tests/data/followups/disguised_tuning.jsonl tuned the cues, and
  disguised_heldout.jsonl, written separately, checks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BANK_DIR = Path(__file__).resolve().parent / "bank"
DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "followups"
SPLITS = ("tuning", "heldout")
# blind: written by someone who saw neither the code nor the other sets (tests/data/followups/README.md).
DISGUISED_SPLITS = (*SPLITS, "blind")


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def bank_files(split: str) -> list[Path]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    files = sorted(BANK_DIR.glob("*.json"))
    return files[0::2] if split == "tuning" else files[1::2]


def fit_evaluate(*, split: str) -> tuple[int, int, int]:
    """(probes, probes kept by the fit rule, kept ones fitted to their own point) over one split of the bank."""
    from rag.followups import bank_follow_up_fit

    total = kept = right = 0
    for path in bank_files(split):
        for q in json.loads(path.read_text())["questions"]:
            points, probes = list(q.get("key_points") or []), list(q.get("probes") or [])
            if q.get("duplicate_of") or len(points) != len(probes) or len(points) < 2:
                continue
            for i, probe in enumerate(probes):
                total += 1
                fitted = [j for j, point in enumerate(points) if bank_follow_up_fit(point, points, [probe])]
                kept += bool(fitted)
                right += fitted == [i]
    return total, kept, right


def disguised_evaluate(*, split: str) -> tuple[Counts, list[str]]:
    """Counts of the disguised-strength detector on one labelled split, and the answers it got wrong."""
    from rag.behavioral import sentences_of
    from rag.embeddings import embed
    from rag.weakness import disguised_strength

    if split not in DISGUISED_SPLITS:
        raise ValueError(f"split must be one of {DISGUISED_SPLITS}, not {split!r}")
    tp = fp = fn = tn = 0
    wrong: list[str] = []
    for line in (DATA_DIR / f"disguised_{split}.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        sentences = sentences_of(row["answer"])
        got = disguised_strength(sentences, embed(sentences)) is not None
        want = bool(row["disguised"])
        tp, fp, fn, tn = tp + (got and want), fp + (got and not want), fn + (want and not got), tn + (not (got or want))
        if got != want:
            wrong.append(("missed: " if want else "false alarm: ") + row["answer"])
    return Counts(tp, fp, fn, tn), wrong
