"""Resumes: real PDF, DOCX and TXT files made here, hostile files refused with a clear message, parsing, chunking,
and processing into the user's own FAISS index."""

from __future__ import annotations

import io
import zipfile

import pytest

from rag.resumes import (
    MAX_UPLOAD_BYTES,
    ResumeError,
    detect_type,
    resume_chunks,
    resume_parse,
    text_extract,
    upload_check,
)

RESUME_LINES = [
    "Dana Developer",
    "dana@example.com",
    "Summary",
    "Backend engineer who builds data-heavy web services in Python and PostgreSQL.",
    "Experience",
    "Senior Software Engineer, Acme Payments (2019 - present)",
    "- Built a fraud scoring service in Python with FastAPI and Redis that cut chargebacks by 30 percent.",
    "- Led the migration of 40 services to Kubernetes on AWS with Terraform.",
    "Software Engineer, Shoply (2015 - 2019)",
    "- Designed the PostgreSQL schema for orders and tuned slow queries with indexes.",
    "Projects",
    "Trailmap: an offline hiking map for Android written in Kotlin with vector tiles.",
    "- Rendered 2 million map features at 60 frames per second on low-end phones.",
    "Queue Lab - a teaching tool that visualises Kafka consumer groups in React.",
    "Skills",
    "Python, Go, SQL, PostgreSQL, Redis, Docker, Kubernetes, AWS, React, Git",
    "Education",
    "BSc Computer Science, University of Somewhere, 2015",
]
RESUME_TEXT = "\n".join(RESUME_LINES)


def make_pdf(lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for line in lines:
        pdf.drawString(40, y, line)
        y -= 16
    pdf.save()
    return buffer.getvalue()


def make_docx(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Certifications"
    table.rows[0].cells[1].text = "AWS Solutions Architect"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (60 * 1024 * 1024) + b"</w:document>")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["pdf", "docx", "txt"])
def test_text_comes_out_of_each_format(kind: str) -> None:
    data = {"pdf": lambda: make_pdf(RESUME_LINES), "docx": lambda: make_docx(RESUME_LINES),
            "txt": lambda: RESUME_TEXT.encode()}[kind]()
    assert upload_check(name=f"cv.{kind}", data=data) == kind
    text = text_extract(data=data, file_type=kind)
    assert "fraud scoring service" in text and "Trailmap" in text
    if kind == "docx":
        assert "AWS Solutions Architect" in text  # tables are read too


@pytest.mark.parametrize(("name", "data", "message"), [
    ("cv.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "named .pdf but its content is an unknown type"),
    ("cv.pdf", b"Just some plain text pretending to be a PDF file, long enough to read.", "content is plain text"),
    ("cv.docx", b"%PDF-1.4\n%broken", "named .docx but its content is a PDF"),
    ("cv.exe", b"MZ\x90\x00", "Upload a PDF, DOCX or TXT file"),
    ("cv.txt", b"", "The file is empty"),
    ("cv.txt", b"a" * (MAX_UPLOAD_BYTES + 1), "the limit is 5 MB"),
])
def test_hostile_uploads_are_refused(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ResumeError, match=message):
        upload_check(name=name, data=data)


def test_a_docx_named_pdf_is_refused() -> None:
    with pytest.raises(ResumeError, match=r"named \.pdf but its content is a Word document"):
        upload_check(name="resume.pdf", data=make_docx(RESUME_LINES))


def test_broken_pdf_gives_a_clear_error() -> None:
    data = make_pdf(RESUME_LINES)
    broken = data[:200] + b"\x00garbage" * 50  # header intact, body and xref destroyed
    assert detect_type(broken) == "pdf"
    with pytest.raises(ResumeError, match=r"could not be read|No readable text"):
        text_extract(data=broken, file_type="pdf")


def test_zip_bomb_docx_is_refused_before_inflating() -> None:
    bomb = zip_bomb_docx()
    assert len(bomb) < MAX_UPLOAD_BYTES  # small on the wire
    assert upload_check(name="cv.docx", data=bomb) == "docx"
    with pytest.raises(ResumeError, match="unreasonable size"):
        text_extract(data=bomb, file_type="docx")


def test_a_pdf_without_text_is_refused() -> None:
    with pytest.raises(ResumeError, match="No readable text"):
        text_extract(data=make_pdf([]), file_type="pdf")


def test_parse_finds_sections_skills_projects_and_experience() -> None:
    parsed = resume_parse(RESUME_TEXT, this_year=2026)
    assert {"summary", "experience", "projects", "skills", "education"} <= set(parsed["sections"])
    for skill in ("Python", "PostgreSQL", "Kubernetes", "AWS", "Kotlin", "Go", "Kafka", "React"):
        assert skill in parsed["skills"], skill
    assert "Java" not in parsed["skills"] and "C" not in parsed["skills"]
    names = [p["name"] for p in parsed["projects"]]
    assert names == ["Trailmap", "Queue Lab"]
    assert "Kotlin" in parsed["projects"][0]["skills"]
    assert "2 million map features" in parsed["projects"][0]["description"]
    roles = [r["role"] for r in parsed["experience"]]
    assert roles[0].startswith("Senior Software Engineer") and len(parsed["experience"]) == 2
    assert parsed["years_experience"] == 11.0


def test_projects_fall_back_to_achievements() -> None:
    text = "\n".join(line for line in RESUME_LINES if not line.startswith(("Projects", "Trailmap", "- Rendered",
                                                                         "Queue Lab")))
    parsed = resume_parse(text, this_year=2026)
    assert parsed["projects"] and parsed["projects"][0]["description"].startswith("Built a fraud scoring service")


def test_chunks_stay_within_sections_and_size() -> None:
    chunks = resume_chunks(RESUME_TEXT)
    assert any(c.startswith("Projects: Trailmap") for c in chunks)
    assert all(len(c.split()) <= 95 for c in chunks)
    long_text = "Experience\n" + " ".join(["word"] * 400)
    assert len(resume_chunks(long_text)) == 5


@pytest.mark.django_db
@pytest.mark.slow
def test_upload_and_process_into_the_users_index(candidate, other_candidate) -> None:  # noqa: ANN001
    from accounts.models import ProcessingStatus
    from rag.embeddings import embed
    from rag.index import resume_search
    from rag.services import resume_delete, resume_process, resume_upload

    resume = resume_upload(user=candidate, name="Dana CV.pdf", data=make_pdf(RESUME_LINES))
    assert resume.status == ProcessingStatus.PENDING and resume.file_type == "pdf"
    resume = resume_process(resume_id=resume.pk)
    assert resume.status == ProcessingStatus.READY and resume.progress == 100 and resume.chunk_count > 3
    assert "Trailmap" in [p["name"] for p in resume.parsed["projects"]]
    [[(text, score), *_]] = resume_search(user_id=candidate.pk, resume_id=resume.pk,
                                          query_vectors=embed(["an Android hiking app with offline maps"]), k=3)
    assert "Trailmap" in text and score > 0.4
    # The other candidate has no index for this resume.
    assert resume_search(user_id=other_candidate.pk, resume_id=resume.pk, query_vectors=embed(["maps"])) == [[]]
    resume_id = resume.pk
    resume_delete(resume=resume)
    assert resume_search(user_id=candidate.pk, resume_id=resume_id, query_vectors=embed(["maps"])) == [[]]


@pytest.mark.django_db
def test_upload_refuses_hostile_files_and_processing_marks_bad_files_failed(candidate) -> None:  # noqa: ANN001
    from accounts.models import ProcessingStatus, Resume
    from rag.services import resume_process, resume_upload

    with pytest.raises(ResumeError):
        resume_upload(user=candidate, name="cv.pdf", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert not Resume.objects.filter(user=candidate).exists()
    resume = resume_upload(user=candidate, name="cv.docx", data=zip_bomb_docx())
    resume = resume_process(resume_id=resume.pk)
    assert resume.status == ProcessingStatus.FAILED and "unreasonable size" in resume.error
    assert Resume.objects.get(pk=resume.pk).status == ProcessingStatus.FAILED
