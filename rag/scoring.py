"""Content scoring of one answer against what a good answer covers: 0-100, with every key point covered or missed.

    units      = the answer's sentences (long run-on sentences, e.g. unpunctuated speech, cut into 24-word windows)
    similarity = cosine(answer, reference answer)                     [MiniLM, unit vectors]
    key point  = covered when max over units of match(unit, key point) >= KEY_POINT_THRESHOLD, with that unit as
                 evidence; match = a weighted mean of the plain and the *centred* cosine (3:1 for centred),
                 where both vectors first lose their component along the centroid of the question's key points.
                 Plain cosine alone turns
                 coverage into topic detection (any sentence on closures sits at 0.6-0.7 against every key point
                 about closures); centred alone loses recall on faithful paraphrases. The mix (CENTRE_WEIGHT) balances
                 precision and recall over the bank calibration and the labelled set (see KEY_POINT_THRESHOLD).
    coverage   = mean over key points of credit: 1 if covered, else a partial credit that rises linearly from 0
                 at threshold - PARTIAL_BAND to PARTIAL_CREDIT just under the threshold (a near miss is worth a
                 little, never full marks)
    raw        = SIMILARITY_WEIGHT * rescale(similarity, SIM_LOW, SIM_HIGH) + (1 - SIMILARITY_WEIGHT) * coverage
    score      = 100 * raw * quality

`quality` guards against what embeddings reward but an interviewer would not: very short answers (length factor,
full at 40 words) and keyword stuffing (a list of terms has almost no function words; spoken explanations have
~40%). The weights and thresholds were calibrated (rag/calibration.py, `manage.py calibrate_scoring`) on the bank
itself and on the labelled set in tests/rag/labelled_answers.json; the numbers are in docs and the report.

Stored on the answer as `key_points_covered = [{"point", "sentence", "similarity"}]` and
`key_points_missed = [{"point", "similarity", "closest"}]`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.conf import settings

from rag.embeddings import embed, embed_cached

# Calibrated for the mixed match (see above) on two sets: the bank (rag/calibration.py: reference sentences vs
# their own key points as positives, other subtopics' key points as negatives) and the labelled set
# (tests/rag/labelled_answers.json, coverage of the partial answers: the hard case, on-topic but incomplete).
# Measured (CENTRE_WEIGHT, threshold) -> labelled precision/recall | bank precision/recall (every 3rd of 360 q):
#   (1.00, 0.22) 0.86/0.83 | 0.87/0.77    (0.75, 0.26) 0.79/0.83 | 0.89/0.79    (0.50, 0.30) 0.66/0.83 | 0.90/0.82
#   plain cosine (0.00, 0.22) 0.45/1.00 | 0.55/0.96: topic detection, not coverage.
KEY_POINT_THRESHOLD = 0.26
CENTRE_WEIGHT = 0.75
# Plain cosine for questions with fewer than 3 key points (follow-up probes): the bank's best F1 threshold for
# plain cosine (precision 0.96, recall 0.97 on the bank's calibration pairs).
RAW_KEY_POINT_THRESHOLD = 0.48
MIN_POINTS_TO_CENTRE = 3
PARTIAL_BAND = 0.15  # a miss within this distance under the threshold earns partial credit, up to PARTIAL_CREDIT
PARTIAL_CREDIT = 0.3
SIM_LOW = 0.25
SIM_HIGH = 0.90
SIMILARITY_WEIGHT = 0.25
FULL_LENGTH_WORDS = 40
WINDOW_WORDS = 24
# Function words: frequent in any explanation, nearly absent from a list of keywords.
_FUNCTION_WORDS_TEXT = """
a an the and or but so because if then than that this these those it its is are was were be been being
to of in on at by for with from as into over under about through when while which who whom whose what where
why how we i you he she they them our my your their there here not no can could would should will do does did
has have had also just only very more most less such each every both either all any some one
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|\n+")
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'+#.-]*")


def keypoint_threshold(points: int = MIN_POINTS_TO_CENTRE) -> float:
    """The coverage threshold for a question with `points` key points (centred or plain cosine, see above)."""
    if points < MIN_POINTS_TO_CENTRE:
        return RAW_KEY_POINT_THRESHOLD
    return float(getattr(settings, "KEY_POINT_THRESHOLD", KEY_POINT_THRESHOLD))


def words_of(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def split_units(text: str, *, window: int = WINDOW_WORDS) -> list[str]:
    """Sentences; a sentence longer than 1.5 windows is cut into overlapping windows (half a window stride)."""
    units: list[str] = []
    for sentence in _SENTENCE_RE.split(text.strip()):
        tokens = sentence.split()
        if not tokens:
            continue
        if len(tokens) <= window * 3 // 2:
            units.append(" ".join(tokens))
            continue
        stride = window // 2
        for start in range(0, len(tokens) - stride, stride):
            units.append(" ".join(tokens[start:start + window]))
    return units


def quality_factor(text: str) -> tuple[float, dict[str, float]]:
    """(factor in [0, 1], its parts): short answers and keyword lists are discounted, not zeroed."""
    words = [w.lower() for w in words_of(text)]
    if not words:
        return 0.0, {"length": 0.0, "function_ratio": 0.0, "distinct_ratio": 0.0}
    length = min(1.0, len(words) / FULL_LENGTH_WORDS)
    function_ratio = sum(w in FUNCTION_WORDS for w in words) / len(words)
    distinct_ratio = len(set(words)) / len(words)
    # Spoken or written explanations run at 0.3-0.5 function words; below 0.2 it reads as a list of terms.
    fluency = 0.4 + 0.6 * min(1.0, function_ratio / 0.25)
    # The same few words over and over (stuffing by repetition): distinct ratio well under 0.35.
    variety = 1.0 if len(words) < 30 else min(1.0, 0.5 + distinct_ratio / 0.7)
    factor = (0.25 + 0.75 * length) * fluency * variety
    return factor, {"length": round(length, 3), "function_ratio": round(function_ratio, 3),
                    "distinct_ratio": round(distinct_ratio, 3)}


@dataclass
class ContentScore:
    content_score: float
    similarity: float
    key_points_covered: list[dict[str, Any]] = field(default_factory=list)
    key_points_missed: list[dict[str, Any]] = field(default_factory=list)
    coverage: float = 0.0
    quality: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    # Filled by the judged scorer (rag/grading.py): [{point, sentence, correction, why, confidence}], the share of
    # the answer addressing the question, and [{code, message, severity, sentence}].
    key_points_contradicted: list[dict[str, Any]] = field(default_factory=list)
    relevance: float | None = None
    red_flags: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rescale(value: float, low: float, high: float) -> float:
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


def centred(vectors: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """Rows minus their projection on the unit `centroid`, renormalised."""
    residual = vectors - np.outer(vectors @ centroid, centroid)
    return residual / (np.linalg.norm(residual, axis=1, keepdims=True) + 1e-12)


def coverage_similarities(unit_vectors: np.ndarray, point_vectors: np.ndarray) -> np.ndarray:
    """(units, key points) match: the weighted mean of centred and plain cosines (centroid of the question's own key
    points). Under
    MIN_POINTS_TO_CENTRE points the centroid is (nearly) the points themselves, so plain cosines are returned and
    compared with RAW_KEY_POINT_THRESHOLD instead."""
    if len(point_vectors) < MIN_POINTS_TO_CENTRE:
        return unit_vectors @ point_vectors.T
    centroid = point_vectors.mean(axis=0)
    centroid = centroid / (np.linalg.norm(centroid) + 1e-12)
    centred_sims = centred(unit_vectors, centroid) @ centred(point_vectors, centroid).T
    return CENTRE_WEIGHT * centred_sims + (1 - CENTRE_WEIGHT) * (unit_vectors @ point_vectors.T)


def embed_answer(answer: str, units: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(unit vectors, one vector for the whole answer). The whole-answer vector is the normalised mean of the unit
    vectors: embedding the full text as well would pad every unit of the batch to the full answer's length (6x the
    cost for a 100-word answer), and MiniLM reads only 256 word pieces, so a long answer's end would be lost."""
    vectors = embed(units)
    return vectors, _mean_unit(vectors)


def _mean_unit(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    return mean / (np.linalg.norm(mean) + 1e-12)


def reference_vector(reference_answer: str) -> np.ndarray:
    """The reference answer embedded the same way as an answer (mean of its sentences), cached per process."""
    return _mean_unit(embed_cached(split_units(reference_answer)))


# Behavioral key points are a rubric ("Quantifies the outcome with a concrete metric"), not facts: measured on the
# bank's 72 behavioral questions, a model STAR answer matches its own rubric points no better than another story
# does (median cosine 0.31 vs 0.27), so embedding coverage is noise there. A rubric point is instead checked for
# the part of the story it asks about: STAR parts by the coach's cue detector (rag/feedback/star.py), numbers and
# reflection by their own cues; the answer's relevance to the question still gates the score.
_RUBRIC_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("reflection", re.compile(r"reflect|lesson|learn|differently|takeaway|grow", re.I)),
    ("number", re.compile(r"quantif|metric|number|measur|concrete (result|outcome)", re.I)),
    ("result", re.compile(r"result|outcome|impact|resolv|deliver|end(ed)? (up|with)", re.I)),
    ("task", re.compile(r"\brole\b|responsib|\bown\b|\btask|challenge|stakes|deadline|goal", re.I)),
    ("situation", re.compile(r"situation|context|background|describes the|sets the scene", re.I)),
    ("action", re.compile(r"action|steps|\bdid\b|approach|handled|how they|specific", re.I)),
)
_REFLECTION_RE = re.compile(r"\b(i|we) (learned|learnt|realised|realized)\b|\blesson\b|\bnext time\b|"
                            r"\bdo (it|things) differently\b|\btaught me\b|\bsince then\b|\bnow i\b", re.I)
_NUMBER_RE = re.compile(r"\b\d+(\.\d+)?\s?(%|percent|x|times|hours?|days?|weeks?|months?|users?|people|ms|"
                        r"seconds?|minutes?|k|million|thousand)?\b|\b(half|double|doubled|tripled|halved)\b|"
                        r"\b(two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|"
                        r"hundred|dozen)\b|\b(an?) (hour|day|week|month|quarter|year)\b", re.I)
RUBRIC_RELEVANCE_LOW = 0.10
RUBRIC_RELEVANCE_HIGH = 0.35
RUBRIC_SIM_HIGH = 0.70
RUBRIC_COVERAGE_WEIGHT = 0.6


def rubric_kind(point: str) -> str:
    return next((kind for kind, pattern in _RUBRIC_KINDS if pattern.search(point)), "action")


def rubric_coverage(answer: str, points: list[str]) -> list[tuple[str, str | None]]:
    """(point, evidence sentence or None) for each behavioral rubric point."""
    from rag.feedback.star import sentences_split, star_detect

    sentences = sentences_split(answer)
    star = {p.part: p.quote for p in star_detect(answer).parts if p.present}
    evidence: dict[str, str | None] = {
        "reflection": next((s for s in sentences if _REFLECTION_RE.search(s)), None),
        "number": next((s for s in reversed(sentences) if _NUMBER_RE.search(s)), None),
        **{part: star.get(part) for part in ("situation", "task", "action", "result")},
    }
    return [(point, evidence.get(rubric_kind(point))) for point in points]


def rubric_score(*, answer: str, reference_answer: str, key_points: list[str]) -> ContentScore:
    units = split_units(answer)
    if not units:
        return ContentScore(content_score=0.0, similarity=0.0,
                            key_points_missed=[{"point": p, "similarity": 0.0, "closest": ""} for p in key_points],
                            details={"reason": "empty answer", "mode": "rubric"})
    unit_vectors, vector = embed_answer(answer, units)
    similarity = float(vector @ reference_vector(reference_answer)) if reference_answer else 0.5
    # A point counts when its story part is there, or (career answers are not always stories) when a sentence
    # states it closely enough for the fact threshold.
    sims = coverage_similarities(unit_vectors, embed_cached(key_points))
    covered, missed = [], []
    for j, (point, sentence) in enumerate(rubric_coverage(answer, key_points)):
        best = int(np.argmax(sims[:, j]))
        if sentence is None and sims[best, j] >= keypoint_threshold(len(key_points)):
            sentence = units[best]
        if sentence:
            covered.append({"point": point, "sentence": sentence, "similarity": round(float(sims[best, j]), 3)})
        else:
            missed.append({"point": point, "similarity": round(float(sims[best, j]), 3), "closest": units[best]})
    coverage = len(covered) / len(key_points) if key_points else 0.0
    # The model answer tells another story, but on the same theme: similarity to it still says "on the question".
    sim_part = _rescale(similarity, RUBRIC_RELEVANCE_LOW, RUBRIC_SIM_HIGH)
    relevance = _rescale(similarity, RUBRIC_RELEVANCE_LOW, RUBRIC_RELEVANCE_HIGH)
    quality, parts = quality_factor(answer)
    raw = RUBRIC_COVERAGE_WEIGHT * coverage + (1 - RUBRIC_COVERAGE_WEIGHT) * sim_part
    score = round(float(np.clip(100.0 * raw * relevance * quality, 0.0, 100.0)), 1)
    return ContentScore(content_score=score, similarity=round(similarity, 4), key_points_covered=covered,
                        key_points_missed=missed, coverage=round(coverage, 4), quality=round(quality, 4),
                        details={"mode": "rubric", "relevance": round(relevance, 4), **parts, "units": len(units)})


def content_score(*, answer: str, reference_answer: str, key_points: list[str],
                  threshold: float | None = None, rubric: bool = False) -> ContentScore:
    """Score `answer` against the reference answer and key points (either may be empty; both empty -> 0).
    `rubric`: the key points describe what a strong (behavioral) answer contains, not facts it states."""
    if rubric and key_points:
        return rubric_score(answer=" ".join((answer or "").split()), reference_answer=reference_answer,
                            key_points=[p for p in key_points if p and p.strip()])
    answer = " ".join((answer or "").split())
    key_points = [p for p in key_points if p and p.strip()]
    threshold = keypoint_threshold(len(key_points)) if threshold is None else threshold
    units = split_units(answer)
    if not units or not (reference_answer or key_points):
        return ContentScore(content_score=0.0, similarity=0.0, key_points_covered=[],
                            key_points_missed=[{"point": p, "similarity": 0.0, "closest": ""} for p in key_points],
                            details={"reason": "empty answer" if not units else "nothing to compare with"})
    unit_vectors, vector = embed_answer(answer, units)
    similarity = 0.0
    if reference_answer:
        similarity = float(vector @ reference_vector(reference_answer))

    covered: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    credits: list[float] = []
    if key_points:
        sims = coverage_similarities(unit_vectors, embed_cached(key_points))
        for j, point in enumerate(key_points):
            best = int(np.argmax(sims[:, j]))
            value = float(sims[best, j])
            if value >= threshold:
                covered.append({"point": point, "sentence": units[best], "similarity": round(value, 3)})
                credits.append(1.0)
            else:
                missed.append({"point": point, "similarity": round(value, 3), "closest": units[best]})
                credits.append(PARTIAL_CREDIT * _rescale(value, threshold - PARTIAL_BAND, threshold))
    coverage = float(np.mean(credits)) if credits else 0.0
    sim_part = _rescale(similarity, SIM_LOW, SIM_HIGH)
    if key_points and reference_answer:
        raw = SIMILARITY_WEIGHT * sim_part + (1 - SIMILARITY_WEIGHT) * coverage
    else:
        raw = coverage if key_points else sim_part
    quality, parts = quality_factor(answer)
    score = round(float(np.clip(100.0 * raw * quality, 0.0, 100.0)), 1)
    return ContentScore(content_score=score, similarity=round(similarity, 4), key_points_covered=covered,
                        key_points_missed=missed, coverage=round(coverage, 4), quality=round(quality, 4),
                        details={"similarity_part": round(sim_part, 4), "threshold": threshold, **parts,
                                 "units": len(units)})
