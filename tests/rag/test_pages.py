"""The knowledge pages: tutor chat, resume upload with progress, job descriptions and job fit; ownership."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import JobDescription, Resume
from tests.fakes.gemini_server import gemini_fake, gemini_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

JOB_TEXT = ("We are hiring a backend engineer. Requirements: 3+ years of Python and Django, PostgreSQL and SQL "
            "query tuning, Docker and Kubernetes in production, REST API design. Nice to have: Redis, Celery.")


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_tutor_answers_from_the_bank_with_sources_and_keeps_the_conversation(candidate_client):
    response = candidate_client.post(reverse("rag:tutor"), {"question": "What does a database index do?"})
    assert response.status_code == 302
    page = candidate_client.get(reverse("rag:tutor")).content.decode()
    assert "What does a database index do?" in page
    # One source: the bank question the answer quotes, not the three nearest.
    assert "engine: offline" in page and "Sources (1)" in page and "databases-007" in page
    candidate_client.post(reverse("rag:tutor"), {"question": "Explain the GIL in Python"})
    page = candidate_client.get(reverse("rag:tutor")).content.decode()
    assert "What does a database index do?" in page and "Explain the GIL in Python" in page
    candidate_client.post(reverse("rag:tutor"), {"clear": "1"})
    assert "What does a database index do?" not in candidate_client.get(reverse("rag:tutor")).content.decode()


@pytest.mark.parametrize("question, message", [("   ", "Ask a question first"), ("x" * 1001, "limited to 1000")])
def test_tutor_refuses_empty_and_oversize_questions(candidate_client, question, message):
    response = candidate_client.post(reverse("rag:tutor"), {"question": question}, follow=True)
    assert message in response.content.decode()


@pytest.mark.django_db(transaction=True)  # processing runs on the in-process pool: it must see committed rows
def test_resume_upload_processes_and_reports_progress_to_the_owner_only(bank, candidate_client, other_candidate):
    from pipeline.tasking import embedded_wait

    text = "Jane Doe\nSkills\nPython, Django, PostgreSQL, Docker\nProjects\nPayments API: built a Django REST API."
    response = candidate_client.post(reverse("rag:resume_upload"),
                                     {"file": SimpleUploadedFile("cv.docx", docx_bytes(text))}, follow=True)
    assert "being read now" in response.content.decode()
    embedded_wait(120)
    resume = Resume.objects.get(user__email="cand@example.com")
    status = candidate_client.get(reverse("rag:resume_status", args=[resume.pk])).json()
    assert status["status"] == "ready" and status["progress"] == 100 and "python" in [s.lower() for s in
                                                                                      status["skills"]]
    client = Client()
    client.force_login(other_candidate)
    assert client.get(reverse("rag:resume_status", args=[resume.pk])).status_code == 404
    assert client.post(reverse("rag:resume_delete", args=[resume.pk])).status_code == 404
    assert Resume.objects.filter(pk=resume.pk).exists()
    candidate_client.post(reverse("rag:resume_delete", args=[resume.pk]))
    assert not Resume.objects.filter(pk=resume.pk).exists()


@pytest.mark.parametrize("name, data, message", [
    ("cv.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
    ("cv.docx", b"MZ\x90\x00 an executable", ""),
    ("cv.txt", b"\x00\x01\x02" * 100, ""),
])
@pytest.mark.django_db(transaction=True)
def test_hostile_resume_files_get_a_clear_message_and_store_nothing_usable(bank, candidate_client, name, data,
                                                                           message):
    from pipeline.tasking import embedded_wait

    response = candidate_client.post(reverse("rag:resume_upload"), {"file": SimpleUploadedFile(name, data)},
                                     follow=True)
    embedded_wait(60)
    assert response.status_code == 200
    resume = Resume.objects.filter(user__email="cand@example.com").first()
    if resume is None:  # refused at upload: the page says why
        assert 'class="message error"' in response.content.decode()
    else:  # accepted by type, refused when read: the row says why, and the profile shows it
        assert resume.status == "failed" and message in resume.error and resume.error
        assert resume.error[:40] in candidate_client.get(reverse("accounts:profile")).content.decode()


def test_oversize_resume_is_refused_before_processing(candidate_client, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = candidate_client.post(reverse("rag:resume_upload"),
                                     {"file": SimpleUploadedFile("cv.txt", b"a" * 5000)}, follow=True)
    assert "limit is" in response.content.decode()
    assert not Resume.objects.exists()


def test_job_description_and_fit_page(candidate_client, other_candidate, candidate):
    candidate.skills = ["Python", "Django", "Docker"]
    candidate.save()
    response = candidate_client.post(reverse("rag:job_create"), {"title": "Backend engineer", "text": JOB_TEXT})
    job = JobDescription.objects.get(user=candidate)
    assert response.status_code == 302 and response["Location"] == reverse("rag:job_fit", args=[job.pk])
    page = candidate_client.get(reverse("rag:job_fit", args=[job.pk])).content.decode()
    assert "match" in page and "Gaps" in page
    client = Client()
    client.force_login(other_candidate)
    assert client.get(reverse("rag:job_fit", args=[job.pk])).status_code == 404


def test_job_description_too_short_is_refused(candidate_client):
    response = candidate_client.post(reverse("rag:job_create"), {"title": "X", "text": "too short"}, follow=True)
    assert "whole job description" in response.content.decode()
    assert not JobDescription.objects.exists()


@pytest.mark.parametrize("name", ["rag:tutor"])
def test_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_tutor_with_gemini_phrases_the_answer_from_the_bank_sources(candidate_client, gemini_fake):  # noqa: F811
    gemini_fake.reset(payload={"answer": "An index is a sorted structure the database keeps beside the table.",
                               "key_points": ["Indexes trade write cost for read speed"]})
    candidate_client.post(reverse("rag:tutor"), {"question": "What does a database index do?"})
    page = candidate_client.get(reverse("rag:tutor")).content.decode()
    assert "engine: gemini" in page and "sorted structure the database keeps" in page
    assert "Gemini wrote this answer from the bank" in page and "Sources (1)" in page
    prompt = gemini_fake.requests[0]["body"]["contents"][0]["parts"][0]["text"]
    assert "What does a database index do?" in prompt and "Reference material [databases-007]" in prompt
    # Grounded: the passages are sentences of that one question's reference answer, not other questions' answers.
    from rag.models import BankQuestion

    other = BankQuestion.objects.get(ext_id="databases-008").reference_answer.split(". ")[0]
    assert other not in prompt


def test_tutor_with_gemini_still_refuses_what_the_bank_does_not_cover(candidate_client, gemini_fake):  # noqa: F811
    gemini_fake.reset(payload={"answer": "A Bloom filter is a probabilistic set.", "key_points": []})
    candidate_client.post(reverse("rag:tutor"), {"question": "What is a Bloom filter and when would you use one?"})
    page = candidate_client.get(reverse("rag:tutor")).content.decode()
    assert "The bank does not cover" in page and "Sources (" not in page
    assert "probabilistic set" not in page and not gemini_fake.requests


@pytest.mark.parametrize("mode", ["500", "invalid_json", "slow"])
def test_tutor_falls_back_offline_when_gemini_fails(candidate_client, gemini_fake, mode):  # noqa: F811
    gemini_fake.reset(mode=mode)
    candidate_client.post(reverse("rag:tutor"), {"question": "What does a database index do?"})
    page = candidate_client.get(reverse("rag:tutor")).content.decode()
    assert "engine: offline" in page and "Sources (1)" in page
