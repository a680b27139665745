"""Reads of the knowledge app: nearest bank questions, free-form scoring, tutor sources, job fit, resume state."""

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


def answer_score_free(*, question: str, answer: str) -> dict[str, Any] | None:
    """Score `answer` against the bank question nearest to `question` (the score_answer command); None when the
    bank is empty."""
    from rag.scoring import content_score

    nearest = bank_nearest(text=question, k=1)
    if not nearest:
        return None
    bank_question, match = nearest[0]
    result = content_score(answer=answer, reference_answer=bank_question.reference_answer,
                           key_points=list(bank_question.key_points), rubric=bank_question.topic.kind == "behavioral")
    return {"matched_id": bank_question.ext_id, "matched_question": bank_question.text,
            "match_similarity": round(match, 4), "similarity": result.similarity,
            "content_score": result.content_score, "key_points_covered": result.key_points_covered,
            "key_points_missed": result.key_points_missed, "coverage": result.coverage, "quality": result.quality,
            "mode": result.details.get("mode", "facts")}


def tutor_sources(*, query: str, k: int = 3) -> list[dict[str, Any]]:
    """The bank's reference answers nearest to a free question, with their source ids (the tutor chat's
    offline answer)."""
    return [{"ext_id": q.ext_id, "question": q.text, "answer": q.reference_answer, "topic": q.topic.name,
             "subtopic": q.subtopic.name, "similarity": round(score, 3), "key_points": list(q.key_points)}
            for q, score in bank_nearest(text=query, k=k, fields=("q", "ref"))]


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


def _empty() -> Any:
    import numpy as np

    from rag.embeddings import DIM

    return np.zeros((0, DIM), dtype=np.float32)
