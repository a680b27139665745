"""Approach (c) of docs/judgement.md: a small classifier over MiniLM pair features of (answer sentence, key point).

Features of a pair (u = the sentence's embedding, v = the point's, both L2-normalised):
[u * v, |u - v|, cos(u, v)] plus the word-level checks of rag/polarity.py (overlap, negation mismatch, antonym swap,
number mismatch). Three classes, learnt from the bank's own pairs only (rag/bank/*.json, nothing downloaded):

    entails      (the reference answer's sentence nearest the point, the point); (a misconception's correction,
                 its point)
    contradicts  (a misconception's claim, its point); (the claim, the reference sentence for that point)
    neutral      (a reference sentence of another question of the same topic, the point)

Multinomial logistic regression in NumPy: standardised features, L2 penalty, full-batch gradient descent for a
fixed number of steps from zeros, so a rebuild from the same bank gives the same weights (no sampling except the
neutral pairs, drawn with a fixed seed). `manage.py train_contradiction` writes rag/models_data/contradiction.npz;
`technical_judge` loads it lazily (only with `JudgeOptions(classifier=True)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interviewprep.singletons import LazySingleton
from rag.polarity import compare

CLASSES = ("entails", "contradicts", "neutral")
ENTAILS, CONTRADICTS, NEUTRAL = range(3)
SEED = 14
STEPS = 400
LEARNING_RATE = 0.5
L2 = 1e-3
NEUTRAL_PER_POINT = 1
MODEL_PATH = Path(__file__).resolve().parent / "models_data" / "contradiction.npz"


@dataclass(frozen=True)
class PairSet:
    sentences: list[str]
    points: list[str]
    labels: np.ndarray  # int, index into CLASSES


@dataclass(frozen=True)
class PairClassifier:
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray     # (classes,)
    mean: np.ndarray     # feature standardisation
    scale: np.ndarray

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def lexical_features(sentence: str, point: str) -> list[float]:
    lexical = compare(sentence, point)
    return [lexical.overlap, float(lexical.negation_mismatch), float(bool(lexical.antonym_swaps)),
            float(lexical.number_mismatch)]


def pair_features(sentence_vectors: np.ndarray, point_vectors: np.ndarray, sentences: Sequence[str],
                  points: Sequence[str]) -> np.ndarray:
    """One row per (sentence, point) pair; the vectors are row-aligned with the texts."""
    u = np.asarray(sentence_vectors, dtype=np.float64)
    v = np.asarray(point_vectors, dtype=np.float64)
    cos = (u * v).sum(axis=1, keepdims=True)
    lexical = np.array([lexical_features(s, p) for s, p in zip(sentences, points, strict=True)], dtype=np.float64)
    return np.hstack([u * v, np.abs(u - v), cos, lexical.reshape(len(u), 4)])


def bank_pairs() -> PairSet:
    """The labelled pairs of the module docstring, from the bank files in a fixed order."""
    from rag.bank_loader import bank_read
    from rag.embeddings import embed
    from rag.scoring import split_units

    rng = np.random.default_rng(SEED)
    sentences: list[str] = []
    points: list[str] = []
    labels: list[int] = []

    def add(sentence: str, point: str, label: int) -> None:
        if sentence.strip() and point.strip():
            sentences.append(" ".join(sentence.split()))
            points.append(" ".join(point.split()))
            labels.append(label)

    for bank_file in bank_read():
        if bank_file.topic.kind != "technical":
            continue
        items = [item for item in bank_file.items if item.key_points and item.reference_answer]
        units = [split_units(item.reference_answer) for item in items]
        for q, item in enumerate(items):
            if not units[q]:
                continue
            nearest = np.argmax(embed(list(item.key_points)) @ embed(units[q]).T, axis=1)
            others = [u for k, group in enumerate(units) if k != q for u in group]
            for j, point in enumerate(item.key_points):
                add(units[q][int(nearest[j])], point, ENTAILS)
                for k in rng.choice(len(others), size=min(NEUTRAL_PER_POINT, len(others)), replace=False):
                    add(others[int(k)], point, NEUTRAL)
            for m in item.misconceptions:
                if not 0 <= m.key_point < len(item.key_points):
                    continue
                point = item.key_points[m.key_point]
                add(m.claim, point, CONTRADICTS)
                add(m.claim, units[q][int(nearest[m.key_point])], CONTRADICTS)
                add(m.correction, point, ENTAILS)
    return PairSet(sentences=sentences, points=points, labels=np.array(labels, dtype=np.int64))


def classifier_train(*, pairs: PairSet) -> PairClassifier:
    """Multinomial logistic regression by full-batch gradient descent (deterministic: see the module docstring)."""
    from rag.embeddings import embed

    texts = sorted(set(pairs.sentences) | set(pairs.points))
    vectors = embed(texts)
    index = {t: i for i, t in enumerate(texts)}
    features = pair_features(vectors[[index[s] for s in pairs.sentences]], vectors[[index[p] for p in pairs.points]],
                             pairs.sentences, pairs.points)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = (features - mean) / scale
    n, d = x.shape
    onehot = np.eye(len(CLASSES))[pairs.labels]
    # Balanced classes: as many contradiction pairs count as much as the more numerous entail/neutral ones.
    counts = onehot.sum(axis=0)
    sample_weight = (n / (len(CLASSES) * counts))[pairs.labels][:, None]
    weights = np.zeros((d, len(CLASSES)))
    bias = np.zeros(len(CLASSES))
    for _ in range(STEPS):
        logits = x @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        error = (probs - onehot) * sample_weight / n
        weights -= LEARNING_RATE * (x.T @ error + L2 * weights)
        bias -= LEARNING_RATE * error.sum(axis=0)
    return PairClassifier(weights=weights, bias=bias, mean=mean, scale=scale)


def classifier_save(*, classifier: PairClassifier, path: Path = MODEL_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # float32 keeps the committed file small; a rebuild compares within 1e-6 of it.
    np.savez_compressed(path, weights=classifier.weights.astype(np.float32),
                        bias=classifier.bias.astype(np.float32), mean=classifier.mean.astype(np.float32),
                        scale=classifier.scale.astype(np.float32), classes=np.array(CLASSES))
    return path


def classifier_read(path: Path = MODEL_PATH) -> PairClassifier:
    if not path.is_file():
        raise FileNotFoundError(f"contradiction classifier not found at {path}: run `manage.py train_contradiction`")
    with np.load(path) as data:
        if tuple(str(c) for c in data["classes"]) != CLASSES:
            raise ValueError(f"{path}: classes {list(data['classes'])}, expected {list(CLASSES)}")
        return PairClassifier(weights=data["weights"].astype(np.float64), bias=data["bias"].astype(np.float64),
                              mean=data["mean"].astype(np.float64), scale=data["scale"].astype(np.float64))


CLASSIFIER = LazySingleton(classifier_read, name="contradiction classifier")


def contradiction_probability(*, sentence_vectors: np.ndarray, point_vectors: np.ndarray, sentences: Sequence[str],
                              points: Sequence[str]) -> np.ndarray:
    """P(contradicts) per (sentence, point) pair, row-aligned."""
    if not len(sentences):
        return np.zeros(0)
    features = pair_features(sentence_vectors, point_vectors, sentences, points)
    return CLASSIFIER.get().probabilities(features)[:, CONTRADICTS]
