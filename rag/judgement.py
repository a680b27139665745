"""Technical judgement: for each key point, did the answer cover it, contradict it, or miss it, and on which sentence.

Embedding similarity alone (rag/scoring.py's coverage) finds the sentence that talks about a key point, but not
whether it says the point or its opposite: MiniLM puts "lookups are logarithmic" and "lookups are linear" side by
side. The judge therefore aligns each key point with the answer's sentences by embeddings, then checks the aligned
sentences for a contradiction in two independent ways (compared in docs/judgement.md):

  misconception  the sentence is nearer one of the question's known wrong claims about this point (the bank's
                 `misconceptions`) than to the point itself, by MISCONCEPTION_MARGIN, and near the claim in absolute
                 terms (MISCONCEPTION_MIN)
  lexical        the sentence repeats the point's vocabulary (overlap >= LEXICAL_OVERLAP) but negates it, swaps a
                 word for its opposite, or states another number (rag/polarity.py), against both the key point and
                 the reference answer's sentence for that point (so a rephrasing the reference itself uses is fine)

A point is contradicted when an aligned sentence trips either check; covered when the best-aligned sentence passes
the coverage threshold and contradicts nothing; missed otherwise. A sentence that contradicts a point is never
evidence that another point was covered.

Relevance is the share of the answer's words in units that address the question: a unit addresses it when it is
near the question, a key point or a sentence of the reference answer (RELEVANT_MIN), and is not a bare list of
terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.embeddings import embed_cached
from rag.polarity import Lexical, compare, words
from rag.scoring import FUNCTION_WORDS, coverage_similarities, keypoint_threshold, split_units
from rag.verdicts import CONTRADICTED, COVERED, MISSED, Judgement, PointVerdict

# Tuned on tests/data/judgement/tuning.jsonl (docs/judgement.md has the comparison and the numbers).
MISCONCEPTION_MIN = 0.70      # cosine of the sentence to the wrong claim
MISCONCEPTION_MARGIN = 0.06   # ... minus its cosine to the point, its correction and the reference
ALIGN_MIN = 0.45              # plain cosine for a sentence to be checked against a point at all
LEXICAL_OVERLAP = 0.5         # share of the point's content words the sentence must repeat (swap, number)
NEGATION_OVERLAP = 0.3        # ... for a negation that applies to a shared word
ALIGNED_UNITS = 3             # sentences per point checked for a contradiction
REFERENCE_AGREE = 0.8         # cosine at which a sentence restates one of the reference answer's
RELEVANT_MIN = 0.50           # plain cosine to the question, a key point or a reference sentence
LIST_FUNCTION_RATIO = 0.12    # a unit of 4+ words with fewer function words than this is a list of terms
CLASSIFIER_MIN = 0.995        # (c): P(contradicts) of an aligned pair; best Spearman of the tuning sweep


@dataclass(frozen=True)
class JudgeOptions:
    """Which contradiction checks run: the approaches compared in docs/judgement.md."""

    misconceptions: bool = True
    # Off by default: on the tuning split the lexical check added more false contradictions than true ones
    # (docs/judgement.md); it stays measurable as its own approach.
    lexical: bool = False
    negation: bool = True     # lexical: count a negation mismatch (the other kinds are swaps and numbers)
    # Approach (c), rag/contradiction.py: off by default, it did not beat (a) on the tuning split (docs/judgement.md).
    classifier: bool = False


DEFAULT_OPTIONS = JudgeOptions()


def _misconception_list(misconceptions: Sequence[Any]) -> list[dict[str, Any]]:
    """Bank misconceptions as dicts (the loader's dataclasses or stored JSON), dropping malformed ones."""
    found = []
    for m in misconceptions or ():
        item = m if isinstance(m, dict) else getattr(m, "__dict__", {})
        if isinstance(item.get("key_point"), int) and str(item.get("claim") or "").strip():
            found.append({"key_point": item["key_point"], "claim": " ".join(str(item["claim"]).split()),
                          "correction": str(item.get("correction") or ""), "why": str(item.get("why") or "")})
    return found


def lexical_conflict(sentence: str, point: str, reference_sentence: str, *,
                     negation: bool = True) -> tuple[bool, Lexical]:
    """Whether `sentence` states the opposite of `point` (and of the reference's sentence for it), by words."""
    against_point = compare(sentence, point)
    # A scoped negation already names a shared word, so it needs less overlap than a swap or a number.
    if not ((negation and against_point.negation_mismatch and against_point.overlap >= NEGATION_OVERLAP)
            or ((against_point.antonym_swaps or against_point.number_mismatch)
                and against_point.overlap >= LEXICAL_OVERLAP)):
        return False, against_point
    if reference_sentence:
        against_reference = compare(sentence, reference_sentence)
        # The reference itself says it this way: a negation or a word the reference shares is not a contradiction.
        if not against_reference.conflict:
            return False, against_point
    return True, against_point


def is_term_list(unit: str) -> bool:
    tokens = words(unit)
    if len(tokens) < 4:
        return False
    return sum(t in FUNCTION_WORDS for t in tokens) / len(tokens) < LIST_FUNCTION_RATIO


def relevance_of(units: list[str], unit_vectors: np.ndarray, anchor_vectors: np.ndarray) -> float:
    """The share of the answer's words in units that address the question (see the module docstring)."""
    if not units:
        return 0.0
    if not len(anchor_vectors):
        return 1.0
    nearest = (unit_vectors @ anchor_vectors.T).max(axis=1)
    sizes = np.array([max(1, len(u.split())) for u in units], dtype=float)
    relevant = np.array([nearest[i] >= RELEVANT_MIN and not is_term_list(u) for i, u in enumerate(units)])
    return float((sizes * relevant).sum() / sizes.sum())


def _confidence(value: float, threshold: float) -> float:
    """0.5 at the threshold, rising to 1 at +0.2 above it and falling to 0 at -0.2 under it."""
    return round(float(np.clip(0.5 + (value - threshold) * 2.5, 0.0, 1.0)), 3)


def technical_judge(*, question: str, key_points: list[str], answer: str, misconceptions: Sequence[Any] = (),
                    reference_answer: str = "", options: JudgeOptions = DEFAULT_OPTIONS) -> Judgement:
    """A verdict per key point (covered / contradicted / missed with its deciding sentence and a confidence) and
    the answer's relevance to the question."""
    answer = " ".join((answer or "").split())
    points = [" ".join(p.split()) for p in key_points if p and p.strip()]
    units = split_units(answer)
    if not units:
        return Judgement(verdicts=tuple(PointVerdict(index=j, point=p, verdict=MISSED) for j, p in
                                        enumerate(points)), relevance=0.0)
    # Cached: the grader embeds the same units again for the whole-answer similarity.
    unit_vectors = embed_cached(units)
    reference_units = split_units(reference_answer) if reference_answer else []
    anchors = [t for t in (question,) if t and t.strip()] + points + reference_units
    anchor_vectors = embed_cached(anchors)
    relevance = relevance_of(units, unit_vectors, anchor_vectors)
    if not points:
        return Judgement(relevance=round(relevance, 4))

    point_vectors = embed_cached(points)
    reference_vectors = embed_cached(reference_units) if reference_units else np.zeros((0, point_vectors.shape[1]))
    sims = coverage_similarities(unit_vectors, point_vectors)
    plain = unit_vectors @ point_vectors.T
    if len(reference_units):
        to_reference = unit_vectors @ reference_vectors.T
        nearest_reference = to_reference.argmax(axis=1)
        nearest_reference_sim = to_reference.max(axis=1)
        reference_for_point = [reference_units[int(k)]
                               for k in np.argmax(reference_vectors @ point_vectors.T, axis=0)]
    else:
        nearest_reference = np.zeros(len(units), dtype=int)
        nearest_reference_sim = np.full(len(units), -1.0)
        reference_for_point = [""] * len(points)
    wrong = [m for m in _misconception_list(misconceptions) if 0 <= m["key_point"] < len(points)]
    claim_sims = unit_vectors @ embed_cached([m["claim"] for m in wrong]).T if wrong else None
    # The correction states the point in other words: one more thing a right sentence can be near.
    correction_sims = (unit_vectors @ embed_cached([m["correction"] or m["claim"] for m in wrong]).T
                       if wrong else None)
    threshold = keypoint_threshold(len(points))

    def says_the_reference(i: int) -> bool:
        # The sentence is (nearly) one of the reference answer's and agrees with it word for word: whatever it
        # seems to contradict is a contrast the reference makes too (left vs inner join, minor vs major fault).
        return bool(reference_units) and nearest_reference_sim[i] >= REFERENCE_AGREE and not compare(
            units[i], reference_units[int(nearest_reference[i])]).conflict

    contradictions: dict[int, PointVerdict] = {}
    bad_units: set[int] = set()
    for j, point in enumerate(points):
        best: tuple[float, int, dict[str, Any] | None] | None = None
        strengths: dict[int, tuple[float, dict[str, Any] | None]] = {}
        if options.misconceptions and claim_sims is not None:
            for k, m in enumerate(wrong):
                if m["key_point"] != j:
                    continue
                # Nearer the wrong claim than to the point and to anything the reference answer says (MiniLM
                # barely sees negation, so a true sentence can sit close to the claim too), and not lexically at
                # odds with the claim ("IP does not guarantee delivery" against "IP guarantees delivery").
                margins = claim_sims[:, k] - np.maximum(np.maximum(plain[:, j], nearest_reference_sim),
                                                        correction_sims[:, k])
                for i in np.flatnonzero((claim_sims[:, k] >= MISCONCEPTION_MIN) & (margins >= MISCONCEPTION_MARGIN)):
                    i = int(i)
                    if lexical_conflict(units[i], m["claim"], "")[0]:
                        continue
                    value = min(1.0, 0.6 + 4 * float(margins[i]))
                    if value > strengths.get(i, (0.0, None))[0]:
                        strengths[i] = (value, m)
        if options.lexical:
            for i in np.argsort(-plain[:, j])[:ALIGNED_UNITS]:
                i = int(i)
                if plain[i, j] < ALIGN_MIN or says_the_reference(i):
                    continue
                conflict, lexical = lexical_conflict(units[i], point, reference_for_point[j],
                                                     negation=options.negation)
                if conflict:
                    value = 0.55 + 0.4 * lexical.overlap
                    before, matched = strengths.get(i, (0.0, None))
                    # Both checks agreeing is stronger evidence than either alone.
                    strengths[i] = (min(1.0, max(before, value) + (0.2 if before else 0.0)), matched)
        if options.classifier:
            aligned = [int(i) for i in np.argsort(-plain[:, j])[:ALIGNED_UNITS]
                       if plain[int(i), j] >= ALIGN_MIN and not says_the_reference(int(i))]
            if aligned:
                from rag.contradiction import contradiction_probability

                probability = contradiction_probability(
                    sentence_vectors=unit_vectors[aligned], point_vectors=np.repeat(point_vectors[j:j + 1],
                                                                                    len(aligned), axis=0),
                    sentences=[units[i] for i in aligned], points=[point] * len(aligned))
                for i, p in zip(aligned, probability, strict=True):
                    if p >= CLASSIFIER_MIN and p > strengths.get(i, (0.0, None))[0]:
                        strengths[i] = (float(p), strengths.get(i, (0.0, None))[1])
        for i, (strength, matched) in strengths.items():
            if best is None or strength > best[0]:
                best = (strength, i, matched)
        if best is not None:
            strength, i, matched = best
            bad_units.add(i)
            contradictions[j] = PointVerdict(
                index=j, point=point, verdict=CONTRADICTED, sentence=units[i], confidence=round(strength, 3),
                similarity=round(float(sims[i, j]), 3),
                correction=(matched or {}).get("correction") or point, why=(matched or {}).get("why", ""))

    verdicts: list[PointVerdict] = []
    for j, point in enumerate(points):
        if j in contradictions:
            verdicts.append(contradictions[j])
            continue
        column = sims[:, j].copy()
        for i in bad_units:
            column[i] = -1.0
        i = int(np.argmax(column))
        value = float(column[i])
        if value >= threshold:
            verdicts.append(PointVerdict(index=j, point=point, verdict=COVERED, sentence=units[i],
                                         confidence=_confidence(value, threshold), similarity=round(value, 3)))
        else:
            nearest = int(np.argmax(sims[:, j]))
            verdicts.append(PointVerdict(index=j, point=point, verdict=MISSED,
                                         confidence=round(1.0 - _confidence(value, threshold), 3),
                                         similarity=round(float(sims[nearest, j]), 3), closest=units[nearest]))
    return Judgement(verdicts=tuple(verdicts), relevance=round(relevance, 4))
