"""The contradiction pair classifier of approach (c) (rag/contradiction.py): reproducible from the bank, clear
errors for a missing or foreign weights file, and kept out of the default judge (docs/judgement.md has why)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.bank_loader import bank_read
from rag.contradiction import CLASSES, CLASSIFIER, CONTRADICTS, MODEL_PATH, classifier_read, pair_features

pytestmark = pytest.mark.slow


# The build embeds every sentence of the bank: about 2.5 minutes on a quiet 2-core machine, more under load.
@pytest.mark.timeout(900)
def test_a_fresh_build_equals_the_committed_weights() -> None:
    from rag.contradiction import bank_pairs, classifier_train

    pairs = bank_pairs()
    assert set(np.unique(pairs.labels)) == set(range(len(CLASSES)))
    fresh, committed = classifier_train(pairs=pairs), classifier_read()
    for name in ("weights", "bias", "mean", "scale"):
        assert np.abs(getattr(fresh, name).astype(np.float32) - getattr(committed, name)).max() <= 1e-6, name


def test_missing_or_foreign_weights_give_a_clear_error(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(FileNotFoundError, match="train_contradiction"):
        classifier_read(tmp_path / "absent.npz")
    foreign = tmp_path / "foreign.npz"
    with np.load(MODEL_PATH) as data:
        np.savez(foreign, **{**{k: data[k] for k in data.files}, "classes": np.array(["yes", "no"])})
    with pytest.raises(ValueError, match="classes"):
        classifier_read(foreign)


def test_the_classifier_reads_bank_claims_and_stays_out_of_the_default_judge(monkeypatch) -> None:  # noqa: ANN001
    from rag import judgement
    from rag.embeddings import embed_cached

    item = next(i for f in bank_read() if f.topic.kind == "technical" for i in f.items if i.misconceptions)
    wrong = item.misconceptions[0]
    point = item.key_points[wrong.key_point]
    texts = [wrong.claim, wrong.correction]
    vectors = embed_cached([*texts, point])

    probabilities = CLASSIFIER.get().probabilities(
        pair_features(vectors[:2], np.repeat(vectors[2:], 2, axis=0), texts, [point, point]))
    # The claim reads as contradicting its point, and more so than the bank's correction of it (the correction is
    # not safely below 0.5: docs/judgement.md explains why the classifier is not shipped).
    assert probabilities[0, CONTRADICTS] > 0.5 and probabilities[0, CONTRADICTS] > probabilities[1, CONTRADICTS]

    CLASSIFIER.reset()
    judgement.technical_judge(question=item.text, key_points=list(item.key_points), answer=item.reference_answer,
                              misconceptions=item.misconceptions, reference_answer=item.reference_answer)
    assert not CLASSIFIER.loaded
    # The judge flags the point exactly when the classifier's probability reaches CLASSIFIER_MIN.
    chance = float(probabilities[0, CONTRADICTS])
    assert float(vectors[0] @ vectors[2]) >= judgement.ALIGN_MIN
    verdicts = {}
    for threshold in (chance - 1e-4, chance + 1e-4):
        monkeypatch.setattr(judgement, "CLASSIFIER_MIN", threshold)
        verdicts[threshold > chance] = judgement.technical_judge(
            question=item.text, key_points=list(item.key_points), answer=wrong.claim, misconceptions=(),
            reference_answer=item.reference_answer, options=judgement.JudgeOptions(misconceptions=False,
                                                                                   classifier=True))
    assert CLASSIFIER.loaded
    assert verdicts[False].verdicts[wrong.key_point].verdict == "contradicted"
    assert verdicts[False].verdicts[wrong.key_point].sentence == wrong.claim
    assert verdicts[True].verdicts[wrong.key_point].verdict != "contradicted"
