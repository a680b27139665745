"""Job descriptions and job fit: skills required and nice to have, coverage by meaning, gaps and what to prepare."""

from __future__ import annotations

import pytest

from rag.jobfit import job_description_parse, job_fit_compute
from rag.resumes import resume_parse
from rag.skills import skills_find
from tests.rag.test_resumes import RESUME_TEXT

JOB = """Senior Backend Engineer
We build payment infrastructure used by millions.
Requirements:
- 5+ years building backend services in Python or Go.
- Deep experience with PostgreSQL and Redis in production.
- You have run services on Kubernetes in AWS.
- Experience designing fraud detection or risk scoring systems.
Nice to have:
- Kafka and event-driven architecture.
- Experience with Rust.
"""


def test_skills_vocabulary_matches_whole_words_and_case_for_short_names() -> None:
    assert skills_find("We use JavaScript and TypeScript") == ["JavaScript", "TypeScript"]
    assert "Java" not in skills_find("We use JavaScript")
    assert "Go" in skills_find("Services in Go and Python") and "Go" not in skills_find("we go to the office")
    assert skills_find("C++ and C# on .NET") == ["C++", "C#"]
    assert skills_find("k8s clusters") == ["Kubernetes"]


def test_job_description_parse_splits_required_and_nice_to_have() -> None:
    parsed = job_description_parse(text=JOB)
    for skill in ("Python", "Go", "PostgreSQL", "Redis", "Kubernetes", "AWS"):
        assert skill in parsed["required_skills"], skill
    assert set(parsed["nice_to_have_skills"]) >= {"Kafka", "Rust"}
    assert not set(parsed["nice_to_have_skills"]) & set(parsed["required_skills"])
    assert parsed["seniority"] == "senior" and parsed["years_required"] == 5
    assert any("fraud detection" in r for r in parsed["requirements"])


@pytest.mark.django_db
@pytest.mark.slow
def test_job_fit_scores_a_matching_resume_above_a_mismatched_one(small_bank) -> None:  # noqa: ANN001
    fit = job_fit_compute(resume_text=RESUME_TEXT, resume_parsed=resume_parse(RESUME_TEXT, this_year=2026),
                          job_text=JOB)
    assert {"Python", "PostgreSQL", "Redis", "Kubernetes", "AWS"} <= set(fit["matched_skills"])
    assert fit["missing_nice_to_have"] == ["Rust"] and "Kafka" in fit["matched_nice_to_have"]
    covered = [c["requirement"] for c in fit["requirements_covered"]]
    assert any("fraud detection" in r for r in covered)  # matched by meaning: "fraud scoring service"
    designer = ("Maria Designer\nSummary\nGraphic designer for print magazines.\nExperience\n"
                "Art director, Glossy Monthly (2018 - 2024)\n- Designed covers and layouts in InDesign.\n"
                "Skills\nTypography, illustration, colour theory")
    other = job_fit_compute(resume_text=designer, resume_parsed=resume_parse(designer), job_text=JOB)
    assert fit["match_score"] > other["match_score"] + 30
    assert other["missing_skills"] and any("Python" in g for g in other["gaps"])
    # Each gap is practised on the bank, or says the bank has nothing on it yet (never an unrelated question).
    assert other["prepare"] and all(p["practise"] or p["note"] for p in other["prepare"])
    assert any(p["practise"] for p in other["prepare"])


@pytest.mark.django_db
@pytest.mark.slow
def test_job_fit_selector_uses_the_resume_index(candidate, small_bank) -> None:  # noqa: ANN001
    from rag.selectors import job_fit
    from rag.services import job_description_create, resume_process, resume_upload

    resume = resume_process(resume_id=resume_upload(user=candidate, name="cv.txt", data=RESUME_TEXT.encode()).pk)
    job = job_description_create(user=candidate, title="Senior Backend Engineer", text=JOB)
    with_resume = job_fit(job=job, resume=resume)
    without = job_fit(job=job, resume=None)
    assert with_resume["match_score"] > without["match_score"]
    assert "Python" in with_resume["matched_skills"]
