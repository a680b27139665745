"""The behavioral judge: rubric points judged on meaning and negation-aware cues, red flags detected and explained,
and its precision/recall per flag on the held-out labelled set (never tuned on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.bank_loader import bank_read
from rag.behavioral import behavioral_judge
from tests.conftest import require

HELDOUT = Path(__file__).resolve().parent.parent / "data" / "judgement" / "heldout.jsonl"
FLAGS = ("blame", "no_result", "we_only", "disguised_strength", "off_question", "vague")


@pytest.fixture(scope="module")
def bank() -> dict:
    return {item.ext_id: (f.topic.kind, item) for f in bank_read() for item in f.items}


def judge(item, answer: str, question: str | None = None):  # noqa: ANN001, ANN201
    return behavioral_judge(question=question or item.text, key_points=list(item.key_points), answer=answer,
                            misconceptions=[vars(m) for m in item.misconceptions])


def codes(judgement) -> set[str]:  # noqa: ANN001
    return {f.code for f in judgement.red_flags}


OWNED = ("Last spring I ran a data migration on our orders table without checking its size, and checkout was "
         "locked for twelve minutes. I took full responsibility: I told my lead it was my change, rolled it back "
         "and wrote the postmortem. Since then I test every migration on a production-sized copy, and we have had "
         "no migration outages in the nine months since.")
DENIED = ("Last spring a data migration on our orders table locked checkout for twelve minutes. I didn't take "
          "responsibility for it, because it was not my fault: the reviewer should have caught it. The DBA rolled it "
          "back and the release went out a week later.")


def test_ownership_is_judged_with_negation(bank) -> None:  # noqa: ANN001
    _, mistake = bank["behavioral-013"]  # a mistake you made at work
    owned, denied = judge(mistake, OWNED), judge(mistake, DENIED)
    assert owned.verdicts[0].verdict == "covered" and "blame" not in codes(owned)
    # The same cue words negated: not taking responsibility contradicts the point and is flagged as blame.
    assert denied.verdicts[0].verdict == "contradicted"
    assert "not my fault" in denied.verdicts[0].sentence and denied.verdicts[0].correction
    blame = next(f for f in denied.red_flags if f.code == "blame")
    assert blame.message and "not my fault" in blame.sentence


def test_each_red_flag_is_detected_and_explained(bank) -> None:  # noqa: ANN001
    _, mistake = bank["behavioral-013"]
    _, weakness = bank["career-hr-014"]
    no_result = judge(mistake, "At my last job I pushed a config change that broke login for our admin users. I "
                               "noticed the alerts, I rolled it back myself and I wrote a postmortem for the team.")
    we_only = judge(mistake, "At my previous company we shipped a deploy that broke the login page for an hour. We "
                             "rolled it back quickly. We wrote a postmortem and we added tests, and as a result we "
                             "had no more outages that quarter.")
    vague = judge(mistake, "I usually try to own my mistakes. If I make a mistake I would tell my manager right "
                           "away. It's important to be honest and learn from it. Generally mistakes are how you grow.")
    disguised = judge(weakness, "My biggest weakness is that I'm a perfectionist. I care too much about my work and "
                                "I often stay late until everything is perfect.")
    off = judge(mistake, "Last year I learned Kubernetes in two weeks for our platform migration. I read the docs, "
                         "built a small cluster at home and paired with our SRE. We moved twelve services on time.")
    assert codes(no_result) == {"no_result"}
    assert codes(we_only) == {"we_only"}
    assert codes(vague) == {"vague"}
    assert codes(disguised) == {"disguised_strength"}
    assert codes(off) == {"off_question"}
    failing = next(f for f in off.red_flags if f.code == "off_question")
    assert failing.severity == "fail" and off.failed and off.relevance < 0.5
    for judgement in (no_result, we_only, vague, disguised, off):
        assert all(f.message and f.severity in ("major", "fail") for f in judgement.red_flags)
        assert not judgement.failed or judgement is off


def test_model_answers_raise_no_flag_and_cover_their_rubric(bank) -> None:  # noqa: ANN001
    flagged, coverage = [], []
    for kind, item in bank.values():
        if kind != "behavioral":
            continue
        judgement = judge(item, item.reference_answer)
        flagged += [(item.ext_id, f.code) for f in judgement.red_flags]
        coverage.append(len(judgement.covered) / len(judgement.verdicts))
        # Every covered point is decided by a sentence of the answer; nothing is contradicted in a model answer.
        assert all(v.sentence and v.sentence in " ".join(item.reference_answer.split()) for v in judgement.covered)
        assert not judgement.contradicted
    assert len(flagged) <= 3, flagged
    assert sum(coverage) / len(coverage) >= 0.45


def test_heldout_red_flags_precision_and_recall(bank) -> None:  # noqa: ANN001
    require(HELDOUT.is_file(), f"the held-out labelled set is missing: {HELDOUT}")
    counts = {flag: [0, 0, 0] for flag in FLAGS}
    lines = 0
    for line in HELDOUT.read_text().splitlines():
        row = json.loads(line) if line.strip() else None
        kind, item = bank.get((row or {}).get("question_id"), (None, None))
        if kind != "behavioral":
            continue
        lines += 1
        found = codes(judge(item, row["answer"], row.get("asked")))
        labelled = {f if isinstance(f, str) else f["code"] for f in row.get("red_flags") or []}
        for flag in FLAGS:
            counts[flag][0] += flag in found and flag in labelled
            counts[flag][1] += flag in found and flag not in labelled
            counts[flag][2] += flag not in found and flag in labelled
    assert lines >= 20
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    # Floors at the measured held-out level (docs/judgement.md: precision 0.61, recall 0.37 over all flags): the
    # judge is far more often silent than wrong, and it must stay so. It never accuses a candidate of blame falsely.
    assert tp / (tp + fp) >= 0.6 and tp / (tp + fn) >= 0.33, counts
    assert counts["blame"][1] == 0 and counts["blame"][0] >= 1, counts["blame"]
    assert all(c[0] >= 1 for c in counts.values()), counts  # every flag is found at least once
