"""The per-user storage quota (resumes and answer audio) and the removal of files that failed processing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Resume
from accounts.storage import StorageQuotaExceeded, storage_quota_check, user_storage_used

RESUME = (b"Jane Doe\nExperience\nBackend engineer at Acme 2019-2024. Built a queue in Python and Go.\n"
          b"Skills\nPython, PostgreSQL, Redis, Docker, Kubernetes\n") * 40
pytestmark = pytest.mark.django_db


def _recorded_answer(user, audio_bytes: int):  # noqa: ANN001, ANN202
    from mastery.models import Topic
    from sessions.models import Answer, InterviewSession, SessionQuestion

    topic, _ = Topic.objects.get_or_create(slug="python", defaults={"name": "Python"})
    session = InterviewSession.objects.create(owner=user, planned_count=2)
    question = SessionQuestion.objects.create(session=session, position=1, text="What is a generator?", topic=topic)
    SessionQuestion.objects.create(session=session, position=2, text="What is the GIL?", topic=topic)
    Answer.objects.create(question=question, user=user, status="scored", audio_bytes=audio_bytes)
    return session


def test_usage_counts_resumes_and_audio_until_the_audio_is_purged(candidate, settings):
    from django.utils import timezone

    from sessions.models import Answer

    _recorded_answer(candidate, 700_000)
    Resume.objects.create(user=candidate, original_name="cv.txt", file_type="txt", size_bytes=1000, status="ready")
    Resume.objects.create(user=candidate, original_name="bad.pdf", file_type="pdf", size_bytes=5000,
                          status="failed")  # its file left the disk
    assert user_storage_used(user=candidate) == 701_000
    Answer.objects.filter(user=candidate).update(audio_deleted_at=timezone.now())
    assert user_storage_used(user=candidate) == 1000


def test_resume_upload_past_the_quota_is_refused_with_a_message(candidate, settings):
    settings.USER_STORAGE_QUOTA_MB = 1
    settings.RATE_LIMITS_ENABLED = False
    client = Client()
    client.force_login(candidate)
    assert client.post("/api/v1/resumes/", {"file": SimpleUploadedFile("cv.txt", RESUME)}).status_code == 201
    _recorded_answer(candidate, 1024 * 1024 - 2 * len(RESUME) + 1)  # one byte short of room for another
    refused = client.post("/api/v1/resumes/", {"file": SimpleUploadedFile("cv2.txt", RESUME)})
    assert refused.status_code == 400 and "storage is full" in refused.json()["detail"]
    assert Resume.objects.filter(user=candidate).count() == 1  # nothing stored for the refused one
    page = client.post("/resumes/upload/", {"file": SimpleUploadedFile("cv3.txt", RESUME)}, follow=True)
    assert "storage is full" in page.content.decode()
    settings.USER_STORAGE_QUOTA_MB = 0  # no quota
    storage_quota_check(user=candidate, adding=10**12)


def test_a_spoken_answer_past_the_quota_is_refused_but_typing_still_works(candidate, settings):
    from sessions.services import InterviewError, answer_begin

    settings.USER_STORAGE_QUOTA_MB = 1
    session = _recorded_answer(candidate, 2 * 1024 * 1024)
    question = session.questions.get(position=2)
    with pytest.raises(StorageQuotaExceeded):
        storage_quota_check(user=candidate)
    with pytest.raises(InterviewError) as refused:
        answer_begin(question=question, user=candidate)
    assert refused.value.code == "storage_full" and "storage is full" in str(refused.value)
    typed = answer_begin(question=question, user=candidate, input_mode="text")
    assert typed.pk


def test_a_resume_that_fails_processing_leaves_the_disk(candidate, settings):
    from django.core.files.base import ContentFile

    from rag.services import resume_process

    resume = Resume(user=candidate, original_name="cv.pdf", file_type="pdf", size_bytes=100, status="pending")
    resume.file.save("upload", ContentFile(b"MZ" + b"\x00" * 98), save=False)
    resume.save()
    path = resume.file.path
    resume = resume_process(resume_id=resume.pk)
    assert resume.status == "failed" and resume.error
    assert not (settings.MEDIA_ROOT / path).exists() and not resume.file
