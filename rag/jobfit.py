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

from rag.skills import skill_aliases, skill_canonical, skill_category, skills_expand, skills_find

REQUIREMENT_MATCH = 0.50
PREPARE_MIN = 0.40  # below this cosine the nearest bank question is about something else than the gap
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
    first = True
    for raw in text.replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        title, first = first and not _BULLET.match(line) and len(line.split()) <= 6 and line[-1] not in ".;!?", False
        if title:  # the job's title ("Backend Engineer") is not a requirement the resume must show
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
    # The parsed skill list and the text itself: the vocabulary grows (synonyms, phrases) after a resume is parsed.
    have = set(resume_parsed.get("skills") or []) | set(skills_find(resume_text))
    have = skills_expand(have | {skill_canonical(s) for s in profile_skills or []})
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
            named = set(skills_find(line))
            if sims[i, best] < REQUIREMENT_MATCH and named and named <= have:
                # Every skill the line names is in the resume ("SQL indexing" <- "PostgreSQL composite indexes"):
                # the line is met, with the resume line that names one of them as evidence.
                evidence = next((c for c in chunks if named & skills_expand(skills_find(c))), chunks[best])
                item = {**item, "evidence": evidence, "by_skill": True}
                covered.append(item)
            else:
                (covered if sims[i, best] >= REQUIREMENT_MATCH else uncovered).append(item)
    coverage_part = len(covered) / len(requirements) if requirements else None
    parts = [(0.6, skills_part), (0.4, coverage_part)]
    weight = sum(w for w, p in parts if p is not None)
    score = 100 * sum(w * p for w, p in parts if p is not None) / weight if weight else 0.0

    gaps = [f"No evidence of {s} in the resume" for s in missing]
    years_required, years_have = job.get("years_required"), resume_parsed.get("years_experience")
    if years_required and years_have is not None and years_have < years_required:
        gaps.append(f"The job asks for {years_required}+ years; the resume shows about {years_have:.0f}")
    # A skill is never both a strength and a gap: a line naming a skill the resume shows is not "not clearly
    # shown" (its missing skills, if any, are gaps by name), and a line naming a missing skill is not a strength.
    unshown = [item["requirement"] for item in uncovered if not set(skills_find(item["requirement"])) & have]
    gaps += [f"Not clearly shown: {line}" for line in unshown[:5]]
    strengths = [f"{s}: named in the resume and required by the job" for s in matched[:8]]
    strengths += [f"{item['requirement']} (evidence: {item['evidence'][:120]})"
                  for item in sorted(covered, key=lambda c: -c["similarity"])
                  if not set(skills_find(item["requirement"])) - have][:4]
    return {
        "match_score": round(float(score), 1),
        "skills_score": None if skills_part is None else round(100 * skills_part, 1),
        "coverage_score": None if coverage_part is None else round(100 * coverage_part, 1),
        "matched_skills": matched, "missing_skills": missing,
        "matched_nice_to_have": matched_nice, "missing_nice_to_have": missing_nice,
        "requirements_covered": covered, "requirements_missing": uncovered,
        "strengths": strengths, "gaps": gaps,
        "prepare": prepare_suggestions(missing=missing + missing_nice, uncovered=unshown),
    }


def prepare_suggestions(*, missing: list[str], uncovered: list[str], limit: int = 6) -> list[dict[str, Any]]:
    """For each gap, bank questions on that skill: what to practise before the interview.

    A technical gap draws only technical questions; a soft skill (leadership, communication) draws behavioral
    ones. A named skill first takes questions that mention it (its aliases, whole words, in the question, its
    reference answer, key points or tags), nearest first; otherwise the nearest questions of the right kind at
    cosine >= PREPARE_MIN. A gap the bank has nothing on says so instead of pointing at an unrelated question."""
    from rag.embeddings import embed
    from rag.index import bank_search
    from rag.models import BankQuestion

    gaps = [(skill, f"{skill}: {', '.join(skill_aliases(skill)[1:5])}".rstrip(": ")) for skill in missing[:6]]
    gaps += [(line, line) for line in uncovered[:6]]
    rows = list(BankQuestion.objects.filter(is_active=True).select_related("topic", "subtopic"))
    if not gaps or not rows:
        return [{"gap": gap, "practise": "", "questions": []} for gap, _ in gaps[:limit]]
    by_id = {q.ext_id: q for q in rows}
    hits = bank_search(query_vectors=embed([query for _, query in gaps]), k=len(rows), fields=("q", "ref", "kp"))
    suggestions, seen = [], set()
    for (gap, _), row in zip(gaps, hits, strict=True):
        named = set(skills_find(gap)) if gap not in missing else {gap}
        kind = "behavioral" if named and all(skill_category(s) == "soft" for s in named) else "technical"
        nearest: dict[str, float] = {}
        for entry, score in row:
            q = by_id.get(entry.ext_id)
            if q is not None and q.topic.kind == kind:
                nearest[q.ext_id] = max(nearest.get(q.ext_id, -1.0), score)
        mentions = [e for e in nearest if named and named & set(skills_find(_question_text(by_id[e])))]
        ranked = sorted(mentions, key=lambda e: -nearest[e]) or [
            e for e in sorted(nearest, key=lambda e: -nearest[e]) if nearest[e] >= PREPARE_MIN]
        if not ranked:
            suggestions.append({"gap": gap, "practise": "", "questions": [],
                                "note": f"The question bank has no {kind} questions on this yet."})
            continue
        first = by_id[ranked[0]]
        where = f"{first.topic.name} / {first.subtopic.name}"
        if where in seen:
            continue
        seen.add(where)
        suggestions.append({"gap": gap, "practise": where, "subtopic_id": first.subtopic_id, "kind": kind,
                            "questions": [{"ext_id": e, "text": by_id[e].text} for e in ranked[:2]]})
    return suggestions[:limit]


def _question_text(q: Any) -> str:
    return " ".join([q.text, q.reference_answer, *q.key_points, *(q.tags or [])])
