"""Reads of the knowledge app: nearest bank questions, free-form scoring, job fit and its practice list, resume
state."""

from __future__ import annotations

from typing import Any

from accounts.models import JobDescription, ProcessingStatus, Resume
from rag.models import BankQuestion


def bank_nearest(*, text: str, k: int = 1, fields: tuple[str, ...] = ("q",)) -> list[tuple[BankQuestion, float]]:
    """The k active bank questions nearest to `text` (by the given indexed fields), best first, one row each."""
    from rag.embeddings import embed
    from rag.index import bank_search

    active = set(BankQuestion.objects.filter(is_active=True).values_list("ext_id", flat=True))
    if not active:
        return []
    best: dict[str, float] = {}
    for entry, score in bank_search(query_vectors=embed([text]), k=k * 4, fields=fields, active_ids=active)[0]:
        best[entry.ext_id] = max(best.get(entry.ext_id, -1.0), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
    rows = BankQuestion.objects.in_bulk([ext_id for ext_id, _ in ranked], field_name="ext_id")
    return [(rows[ext_id], score) for ext_id, score in ranked if ext_id in rows]


def bank_match(*, text: str) -> tuple[BankQuestion, Any] | None:
    """The active bank question that `text` asks, with a QuestionMatch (score, margin over the runner-up,
    confident or not; rag/matching.py); None when the bank is empty."""
    from rag.embeddings import embed
    from rag.index import bank_index, bank_search
    from rag.matching import match_best, match_scores

    active = set(BankQuestion.objects.filter(is_active=True).values_list("ext_id", flat=True))
    if not active:
        return None
    # Every entry of every active question: a flat search over a few thousand vectors costs well under 1 ms.
    hits = bank_search(query_vectors=embed([text]), k=len(bank_index()), active_ids=active)[0]
    match = match_best(match_scores((entry.ext_id, entry.field, score) for entry, score in hits))
    if match is None:
        return None
    return BankQuestion.objects.select_related("topic").get(ext_id=match.ext_id), match


class QuestionMatchError(ValueError):
    """The free-text question matched no bank question with enough confidence."""


def answer_score_free(*, question: str, answer: str, allow_low_confidence: bool = False) -> dict[str, Any] | None:
    """Judge and score `answer` against the bank question `question` asks (the score_answer command); None when
    the bank is empty. A low-confidence match raises QuestionMatchError unless `allow_low_confidence`, which
    scores it and says so in `match_confident`."""
    from rag.grading import answer_grade

    found = bank_match(text=question)
    if found is None:
        return None
    bank_question, match = found
    if not match.confident and not allow_low_confidence:
        runner = BankQuestion.objects.filter(ext_id=match.runner_up).values_list("text", flat=True).first()
        raise QuestionMatchError(
            f"No bank question matches confidently (best [{bank_question.ext_id}] {bank_question.text!r}, "
            f"match {match.score:.2f}, margin {match.margin:.2f} over {runner!r}). Rephrase the question as asked "
            "in an interview, or pass --allow-low-confidence to score against the best match anyway.")
    result = answer_grade(question=bank_question.text, answer=answer, reference_answer=bank_question.reference_answer,
                          key_points=list(bank_question.key_points), misconceptions=list(bank_question.misconceptions),
                          behavioral=bank_question.topic.kind == "behavioral")
    return {"matched_id": bank_question.ext_id, "matched_question": bank_question.text,
            "match_similarity": match.score, "match_margin": match.margin, "match_confident": match.confident,
            "similarity": result.similarity, "content_score": result.content_score,
            "key_points_covered": result.key_points_covered, "key_points_missed": result.key_points_missed,
            "key_points_contradicted": result.key_points_contradicted, "relevance": result.relevance,
            "red_flags": result.red_flags, "coverage": result.coverage, "quality": result.quality,
            "mode": result.details.get("mode", "facts")}


def resume_status(*, resume: Resume) -> dict[str, Any]:
    """What the page polls while a resume is processed."""
    return {"id": resume.pk, "status": resume.status, "progress": resume.progress, "error": resume.error,
            "chunk_count": resume.chunk_count, "skills": (resume.parsed or {}).get("skills", [])}


def job_fit(*, job: JobDescription, resume: Resume | None) -> dict[str, Any]:
    """Job fit of the candidate's resume (or, without one, the profile's skills) against a job description."""
    from rag.index import resume_index_load
    from rag.jobfit import job_fit_compute

    profile_skills = list(job.user.skills or [])
    if resume is None or resume.status != ProcessingStatus.READY:
        return job_fit_compute(resume_text=" ".join(profile_skills), resume_parsed={}, job_text=job.text,
                               job_parsed=job.parsed or None, profile_skills=profile_skills,
                               resume_chunk_vectors=([], _empty()) if not profile_skills else None)
    index = resume_index_load(user_id=resume.user_id, resume_id=resume.pk)
    vectors = (index.meta["texts"], index.vectors) if index is not None and len(index) else None
    return job_fit_compute(resume_text=resume.text, resume_parsed=resume.parsed or {}, job_text=job.text,
                           job_parsed=job.parsed or None, profile_skills=profile_skills,
                           resume_chunk_vectors=vectors)


def job_fit_practice(*, fit: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The bank ids of a job fit's preparation list, in order, and why each is there ("from the job: <gap>")."""
    ext_ids: list[str] = []
    reasons: dict[str, str] = {}
    for item in fit.get("prepare", []):
        for question in item.get("questions", []):
            if isinstance(question, dict) and question.get("ext_id") and question["ext_id"] not in reasons:
                ext_ids.append(question["ext_id"])
                reasons[question["ext_id"]] = f"from the job: {item['gap']}"[:300]
    return ext_ids, reasons


def _empty() -> Any:
    import numpy as np

    from rag.embeddings import DIM

    return np.zeros((0, DIM), dtype=np.float32)
