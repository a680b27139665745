"""Job descriptions and job fit: what a job asks for, and how a candidate's resume meets it.

    skills part   = (2 * matched required + matched nice-to-have) / (2 * required + nice-to-have)
    coverage part = share of the job's requirement lines whose best resume chunk has cosine >= REQUIREMENT_MATCH
    match score   = 100 * (0.6 * skills part + 0.4 * coverage part)   (coverage alone when the job names no skill)

Skills come from the shared vocabulary (rag/skills.py); requirement lines are matched by meaning (MiniLM), so
"built data pipelines in Airflow" meets "experience orchestrating ETL jobs" even without the same words.
Everything here runs offline; an LLM may phrase the advice later, never decide the numbers.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from rag.skills import skill_canonical, skills_find

REQUIREMENT_MATCH = 0.50
NICE_MARKERS = ("nice to have", "nice-to-have", "preferred", "bonus", "a plus", "is a plus", "desirable",
                "good to have", "would be great")
_NICE_HEADING = re.compile(r"^\s*(nice[- ]to[- ]haves?|preferred( qualifications)?|bonus( points)?|"
                           r"desirable|pluses)\s*:?\s*$", re.IGNORECASE)
_REQ_HEADING = re.compile(r"^\s*(requirements|qualifications|required|must[- ]haves?|what you('ll)? bring|"
                          r"what we('re| are) looking for|responsibilities|what you('ll)? do|the role|"
                          r"about you|you have)\s*:?\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•▪◦●]|\d+[.)])\s+")
_YEARS = re.compile(r"(\d{1,2})\s*\+?\s*(?:-\s*\d{1,2}\s*)?years?", re.IGNORECASE)
SENIORITY_WORDS = (("intern", "intern"), ("junior", "junior"), ("graduate", "junior"), ("entry-level", "junior"),
                   ("principal", "lead"), ("staff", "lead"), ("lead", "lead"), ("senior", "senior"),
                   ("mid-level", "mid"))


def _requirement_lines(text: str) -> list[tuple[str, bool]]:
    """(line, is_nice_to_have) for each bullet or sentence that states a requirement or duty."""
    lines: list[tuple[str, bool]] = []
    nice_block = False
    for raw in text.replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        if _NICE_HEADING.match(line):
            nice_block = True
            continue
        if _REQ_HEADING.match(line):
            nice_block = False
            continue
        for sentence in re.split(r"(?<=[.;!?])\s+", _BULLET.sub("", line)):
            if len(sentence.split()) >= 2:
                lowered = sentence.lower()
                lines.append((sentence, nice_block or any(m in lowered for m in NICE_MARKERS)))
    return lines[:60]


def job_description_parse(*, text: str) -> dict[str, Any]:
    """Required and nice-to-have skills, requirement lines, seniority and years asked for (offline)."""
    lines = _requirement_lines(text)
    required: list[str] = []
    nice: list[str] = []
    for line, is_nice in lines:
        for skill in skills_find(line):
            target = nice if is_nice else required
            if skill not in required and skill not in target:
                target.append(skill)
    for skill in skills_find(text):  # skills named outside any requirement line (title, intro) count as required
        if skill not in required and skill not in nice:
            required.append(skill)
    nice = [s for s in nice if s not in required]
    lowered = text.lower()
    seniority = next((level for word, level in SENIORITY_WORDS if re.search(rf"\b{word}\b", lowered)), "")
    years = [int(y) for y in _YEARS.findall(text) if 0 < int(y) <= 30]
    return {
        "required_skills": required,
        "nice_to_have_skills": nice,
        "requirements": [line for line, is_nice in lines if not is_nice][:40],
        "nice_to_have": [line for line, is_nice in lines if is_nice][:20],
        "seniority": seniority,
        "years_required": min(years) if years else None,
    }


def job_fit_compute(*, resume_text: str, resume_parsed: dict[str, Any], job_text: str,
                    job_parsed: dict[str, Any] | None = None, profile_skills: list[str] | None = None,
                    resume_chunk_vectors: tuple[list[str], np.ndarray] | None = None) -> dict[str, Any]:
    """Match score 0-100, matched and missing skills, strengths, gaps and what to prepare."""
    from rag.embeddings import embed
    from rag.resumes import resume_chunks

    job = job_parsed or job_description_parse(text=job_text)
    have = set(resume_parsed.get("skills") or skills_find(resume_text))
    have |= {skill_canonical(s) for s in profile_skills or []}
    required, nice = job["required_skills"], job["nice_to_have_skills"]
    matched = [s for s in required if s in have]
    missing = [s for s in required if s not in have]
    matched_nice = [s for s in nice if s in have]
    missing_nice = [s for s in nice if s not in have]
    denominator = 2 * len(required) + len(nice)
    skills_part = (2 * len(matched) + len(matched_nice)) / denominator if denominator else None

    requirements = job["requirements"] or [line for line, _ in _requirement_lines(job_text)]
    # Evidence is matched line by line (a bullet states one thing); the index's 90-word chunks mix several roles
    # and dilute the match. Chunks are the fallback for a resume without line structure.
    chunks = [line for line in resume_text.split("\n") if len(line.split()) >= 4][:200]
    if not chunks and resume_chunk_vectors is not None:
        chunks, chunk_vectors = resume_chunk_vectors
    else:
        chunks = chunks or resume_chunks(resume_text)
        chunk_vectors = embed(chunks)
    covered, uncovered = [], []
    if requirements and chunks:
        sims = embed(requirements) @ chunk_vectors.T
        for i, line in enumerate(requirements):
            best = int(np.argmax(sims[i]))
            item = {"requirement": line, "evidence": chunks[best], "similarity": round(float(sims[i, best]), 3)}
            (covered if sims[i, best] >= REQUIREMENT_MATCH else uncovered).append(item)
    coverage_part = len(covered) / len(requirements) if requirements else None
    parts = [(0.6, skills_part), (0.4, coverage_part)]
    weight = sum(w for w, p in parts if p is not None)
    score = 100 * sum(w * p for w, p in parts if p is not None) / weight if weight else 0.0

    gaps = [f"No evidence of {s} in the resume" for s in missing]
    years_required, years_have = job.get("years_required"), resume_parsed.get("years_experience")
    if years_required and years_have is not None and years_have < years_required:
        gaps.append(f"The job asks for {years_required}+ years; the resume shows about {years_have:.0f}")
    gaps += [f"Not clearly shown: {item['requirement']}" for item in uncovered[:5]]
    strengths = [f"{s}: named in the resume and required by the job" for s in matched[:8]]
    strengths += [f"{item['requirement']} (evidence: {item['evidence'][:120]})"
                  for item in sorted(covered, key=lambda c: -c["similarity"])[:4]]
    return {
        "match_score": round(float(score), 1),
        "skills_score": None if skills_part is None else round(100 * skills_part, 1),
        "coverage_score": None if coverage_part is None else round(100 * coverage_part, 1),
        "matched_skills": matched, "missing_skills": missing,
        "matched_nice_to_have": matched_nice, "missing_nice_to_have": missing_nice,
        "requirements_covered": covered, "requirements_missing": uncovered,
        "strengths": strengths, "gaps": gaps,
        "prepare": prepare_suggestions(missing=missing + missing_nice, uncovered=[u["requirement"] for u in uncovered]),
    }


def prepare_suggestions(*, missing: list[str], uncovered: list[str], limit: int = 6) -> list[dict[str, Any]]:
    """For each gap, the bank subtopic nearest to it: what to practise before the interview."""
    from rag.embeddings import embed
    from rag.index import bank_search
    from rag.models import BankQuestion

    gaps = [f"{skill} interview questions" for skill in missing[:6]] + uncovered[:6]
    if not gaps or not BankQuestion.objects.filter(is_active=True).exists():
        return [{"gap": gap, "practise": "", "questions": []} for gap in gaps[:limit]]
    hits = bank_search(query_vectors=embed(gaps), k=3, fields=("q", "ref"))
    ext_ids = {entry.ext_id for row in hits for entry, _ in row}
    questions = {q.ext_id: q for q in BankQuestion.objects.filter(ext_id__in=ext_ids)
                 .select_related("topic", "subtopic")}
    suggestions, seen = [], set()
    for gap, row in zip(gaps, hits, strict=True):
        rows = [questions[e.ext_id] for e, _ in row if e.ext_id in questions]
        if not rows:
            continue
        first = rows[0]
        where = f"{first.topic.name} / {first.subtopic.name}"
        if where in seen:
            continue
        seen.add(where)
        suggestions.append({"gap": gap, "practise": where, "subtopic_id": first.subtopic_id,
                            "questions": list(dict.fromkeys(q.text for q in rows))[:2]})
    return suggestions[:limit]
