"""Writes of the knowledge app: loading the bank, scoring answers, processing resumes, keeping indexes fresh."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.models import JobDescription, ProcessingStatus, Resume, User
from accounts.storage import StorageQuotaExceeded, storage_quota_check
from mastery.models import Subtopic, Topic
from rag.bank_loader import BankFile, bank_read, content_hash
from rag.models import BankQuestion
from rag.resumes import MAX_UPLOAD_BYTES, ResumeError, resume_chunks, resume_parse, text_extract, upload_check

log = logging.getLogger(__name__)


# --- the question bank -----------------------------------------------------------------------------------


@dataclass
class BankLoadResult:
    files: int = 0
    topics_created: int = 0
    subtopics_created: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    index_rebuilt: bool = False

    def summary(self) -> str:
        return (f"{self.files} files: {len(self.created)} questions created, {len(self.updated)} updated, "
                f"{self.unchanged} unchanged; {self.topics_created} topics and {self.subtopics_created} subtopics "
                f"created; FAISS index {'rebuilt' if self.index_rebuilt else 'up to date'}")


_QUESTION_FIELDS = ("topic_id", "subtopic_id", "difficulty", "text", "reference_answer", "key_points", "hint",
                    "follow_ups", "tags", "misconceptions", "probes", "duplicate_of", "is_active", "content_hash")


def _bank_file_save(bank_file: BankFile, result: BankLoadResult) -> None:
    t = bank_file.topic
    topic, created = Topic.objects.get_or_create(slug=t.slug, defaults={"name": t.name, "kind": t.kind,
                                                                        "description": t.description})
    result.topics_created += created
    if not created and (topic.name, topic.kind, topic.description) != (t.name, t.kind, t.description):
        topic.name, topic.kind, topic.description = t.name, t.kind, t.description
        topic.save(update_fields=["name", "kind", "description"])
    subtopics: dict[str, Subtopic] = {}
    for s in bank_file.subtopics:
        subtopic, created = Subtopic.objects.get_or_create(topic=topic, slug=s.slug,
                                                           defaults={"name": s.name, "description": s.description})
        result.subtopics_created += created
        if not created and (subtopic.name, subtopic.description) != (s.name, s.description):
            subtopic.name, subtopic.description = s.name, s.description
            subtopic.save(update_fields=["name", "description"])
        subtopics[s.slug] = subtopic
    existing = {q.ext_id: q for q in BankQuestion.objects.filter(ext_id__in=[i.ext_id for i in bank_file.items])}
    for item in bank_file.items:
        values = {"topic_id": topic.pk, "subtopic_id": subtopics[item.subtopic_slug].pk,
                  "difficulty": item.difficulty, "text": item.text, "reference_answer": item.reference_answer,
                  "key_points": list(item.key_points), "hint": item.hint, "follow_ups": list(item.follow_ups),
                  "tags": list(item.tags), "content_hash": item.content_hash,
                  "misconceptions": [asdict(m) for m in item.misconceptions], "probes": list(item.probes),
                  # A merged near-duplicate stays for the history that points at it, but is never drawn again.
                  "duplicate_of": item.duplicate_of, "is_active": not item.duplicate_of}
        row = existing.get(item.ext_id)
        if row is None:
            BankQuestion.objects.create(ext_id=item.ext_id, **values)
            result.created.append(item.ext_id)
        elif any(getattr(row, name) != values[name] for name in _QUESTION_FIELDS):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
            result.updated.append(item.ext_id)
        else:
            result.unchanged += 1


def bank_load(*, directory: Path | None = None, rebuild_index: bool = True) -> BankLoadResult:
    """Create or update topics, subtopics and bank questions from the bank files, by stable id. Idempotent: a
    second run writes nothing. Raises BankError (file + id of every problem) before writing anything.

    Questions that exist only in the database (added in the admin) are left alone; the files are the source of
    truth for the ids they name.
    """
    files = bank_read(directory)
    result = BankLoadResult(files=len(files))
    with transaction.atomic():
        for bank_file in files:
            _bank_file_save(bank_file, result)
    if rebuild_index:
        result.index_rebuilt = bank_index_refresh()
    return result


def bank_question_save(*, question: BankQuestion) -> BankQuestion:
    """Save a bank question edited by hand (admin), keeping its content hash true and the index fresh."""
    question.content_hash = content_hash(text=question.text, reference_answer=question.reference_answer,
                                         key_points=list(question.key_points or []))
    question.save()
    transaction.on_commit(bank_index_refresh)
    return question


def bank_index_refresh(*, force: bool = False) -> bool:
    """Rebuild the bank's FAISS index when the bank changed (or `force`); True when it was rebuilt."""
    from rag.index import bank_index_rebuild

    _, rebuilt = bank_index_rebuild(force=force)
    return rebuilt


def bank_export(*, questions: list[BankQuestion] | None = None) -> dict[str, dict[str, Any]]:
    """Bank questions as bank files (topic slug -> file content in rag/bank/SCHEMA.md's format)."""
    rows = questions if questions is not None else list(BankQuestion.objects.all())
    by_topic: dict[str, dict[str, Any]] = {}
    for q in sorted(rows, key=lambda r: r.ext_id):
        topic, subtopic = q.topic, q.subtopic
        content = by_topic.setdefault(topic.slug, {
            "topic": {"slug": topic.slug, "name": topic.name, "kind": topic.kind, "description": topic.description},
            "subtopics": [], "questions": []})
        if subtopic.slug not in {s["slug"] for s in content["subtopics"]}:
            content["subtopics"].append({"slug": subtopic.slug, "name": subtopic.name,
                                         "description": subtopic.description})
        content["questions"].append({"id": q.ext_id, "subtopic": subtopic.slug, "difficulty": q.difficulty,
                                     "question": q.text, "reference_answer": q.reference_answer,
                                     "key_points": list(q.key_points), "hint": q.hint,
                                     "follow_ups": list(q.follow_ups), "tags": list(q.tags),
                                     **({"misconceptions": list(q.misconceptions)} if q.misconceptions else {}),
                                     **({"probes": list(q.probes)} if q.probes else {}),
                                     **({"duplicate_of": q.duplicate_of} if q.duplicate_of else {})})
    return by_topic


# --- answers -------------------------------------------------------------------------------------------------


def answer_score_content(*, answer_id: int, force: bool = False) -> Any:
    """Judge an answer's transcript against its question (a verdict per key point, relevance, red flags) and
    score it; idempotent."""
    from pipeline.records import answer_model
    from rag.grading import answer_grade

    Answer = answer_model()

    answer = Answer.objects.select_related("question", "question__topic", "question__bank_question").get(
        pk=answer_id)
    if answer.content_score is not None and not force:
        return answer
    Answer.objects.filter(pk=answer_id).update(progress="scoring")
    question = answer.question
    key_points = list(question.key_points or [])
    bank = question.bank_question
    # Misconceptions point at key points by index: only valid while the asked copy still equals the bank's points.
    misconceptions = list(bank.misconceptions or []) if bank and list(bank.key_points) == key_points else []
    # Behavioral key points are a rubric of what a strong story contains (rag/behavioral.py); project questions
    # from the resume carry such a rubric too.
    behavioral = question.topic.kind == "behavioral" or question.source == "resume"
    result = answer_grade(question=question.text, answer=answer.transcript,
                          reference_answer=question.reference_answer, key_points=key_points,
                          misconceptions=misconceptions, behavioral=behavioral)
    answer.content_score = result.content_score
    answer.similarity = result.similarity
    answer.key_points_covered = result.key_points_covered
    answer.key_points_missed = result.key_points_missed
    answer.key_points_contradicted = result.key_points_contradicted
    answer.relevance = result.relevance
    answer.red_flags = result.red_flags
    answer.progress = "scored content"
    answer.save(update_fields=["content_score", "similarity", "key_points_covered", "key_points_missed",
                               "key_points_contradicted", "relevance", "red_flags", "progress"])
    return answer


# --- resumes -------------------------------------------------------------------------------------------------


def resume_upload(*, user: User, name: str, data: bytes) -> Resume:
    """Check and store an uploaded resume, then queue its processing. Raises ResumeError with a user message."""
    file_type = upload_check(name=name, data=data[:MAX_UPLOAD_BYTES + 1])
    from pipeline.tasking import task_enqueue
    from rag.tasks import process_resume

    try:
        storage_quota_check(user=user, adding=len(data))
    except StorageQuotaExceeded as exc:
        raise ResumeError(str(exc)) from exc
    resume = Resume(user=user, original_name=Path(name).name[:255], file_type=file_type, size_bytes=len(data),
                    status=ProcessingStatus.PENDING, progress=0)
    try:
        with transaction.atomic():
            resume.file.save("upload", ContentFile(data), save=False)
            resume.save()
            task_enqueue(process_resume.si(resume.pk))
    except BaseException:
        if resume.file:  # written to disk, but the row that points at it was rolled back
            resume.file.delete(save=False)
        raise
    return resume


def _resume_progress(resume: Resume, progress: int, status: str = ProcessingStatus.PROCESSING) -> None:
    resume.progress, resume.status = progress, status
    Resume.objects.filter(pk=resume.pk).update(progress=progress, status=status)


def resume_process(*, resume_id: int, force: bool = False) -> Resume:
    """Extract, parse, chunk and embed a resume into its owner's index, reporting progress on the row.

    Idempotent: a ready resume is left alone unless `force`. A bad file ends `failed` with a message for the user
    (not retried: the same bytes fail the same way); anything else propagates so the task retries.
    """
    from rag.embeddings import embed
    from rag.index import resume_index_save

    resume = Resume.objects.get(pk=resume_id)
    if resume.status == ProcessingStatus.READY and not force:
        return resume
    _resume_progress(resume, 5)
    try:
        with resume.file.open("rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
        upload_check(name=f"x.{resume.file_type}", data=data)
        text = text_extract(data=data, file_type=resume.file_type)
    except ResumeError as exc:
        # The row keeps the reason for the user; the unusable file leaves the disk (and the quota).
        resume.file.delete(save=False)
        resume.status, resume.error, resume.progress = ProcessingStatus.FAILED, str(exc)[:300], 100
        resume.save(update_fields=["status", "error", "progress", "file"])
        return resume
    _resume_progress(resume, 30)
    parsed = resume_parse(text)
    chunks = resume_chunks(text)
    _resume_progress(resume, 50)
    vectors = embed(chunks)
    _resume_progress(resume, 85)
    resume_index_save(user_id=resume.user_id, resume_id=resume.pk, chunks=chunks, vectors=vectors)
    resume.text, resume.parsed, resume.chunk_count = text, parsed, len(chunks)
    resume.status, resume.progress, resume.error = ProcessingStatus.READY, 100, ""
    resume.save(update_fields=["text", "parsed", "chunk_count", "status", "progress", "error"])
    return resume


def resume_delete(*, resume: Resume) -> None:
    """Delete a resume, its stored file and its index."""
    from rag.index import resume_index_delete

    resume_index_delete(user_id=resume.user_id, resume_id=resume.pk)
    if resume.file:
        resume.file.delete(save=False)
    resume.delete()


def resume_mark_failed(*, resume_id: int, error: BaseException) -> None:
    """The last retry of processing failed for a reason other than the file: record it for the page."""
    message = f"Processing failed: {type(error).__name__}: {error}"[:300]
    Resume.objects.filter(pk=resume_id).exclude(status=ProcessingStatus.READY).update(
        status=ProcessingStatus.FAILED, error=message, progress=100)


def job_description_create(*, user: User, title: str, text: str, company: str = "") -> JobDescription:
    """A target job the candidate pasted, parsed for the job-fit page and question choice."""
    from accounts.services import AccountError
    from rag.jobfit import job_description_parse

    text = text.strip()
    if len(text) < 40:
        raise AccountError("Paste the whole job description (at least a few sentences).")
    if len(text) > 20000:
        raise AccountError("That job description is too long (20,000 characters at most).")
    return JobDescription.objects.create(user=user, title=title.strip()[:200] or "Target job",
                                         company=company.strip()[:200], text=text,
                                         parsed=job_description_parse(text=text))
