"""The interview's life, shared by the pages, the WebSocket consumer and the API.

start -> (answer | skip | re-answer)* -> finish, or abandon; pause and resume later. Answers end in the scoring
pipeline (pipeline/chain.py). Services take keyword arguments, validate ownership-independent rules and raise
`InterviewError` with a message fit for the user; callers check who may call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import Cohort, JobDescription, Resume, User
from accounts.storage import StorageQuotaExceeded, storage_quota_check
from mastery.models import Topic
from pipeline import chain as pipeline_chain
from pipeline.payloads import StepFailure
from sessions.models import (
    Answer,
    AnswerStatus,
    Assignment,
    InputMode,
    InterviewMode,
    InterviewSession,
    Persona,
    QuestionStatus,
    Report,
    ReportShareLink,
    ReportStatus,
    SessionQuestion,
    SessionStatus,
)


class InterviewError(Exception):
    """A request the interview refuses; `code` is stable for APIs and the socket."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class InterviewSpec:
    mode: str = InterviewMode.TECHNICAL
    topic_slugs: tuple[str, ...] = ()
    difficulty: int = 0
    count: int = 5
    persona: str = Persona.FRIENDLY
    resume_id: int | None = None
    job_description_id: int | None = None
    assignment_id: int | None = None
    # Bank ids to ask, in order, instead of choosing (the job-fit page's one-click interview), with their reasons.
    bank_question_ids: tuple[str, ...] = ()
    bank_question_reasons: dict[str, str] = field(default_factory=dict)
    hands_free: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _validate_spec(*, user: User, spec: InterviewSpec) -> tuple[list[Topic], Resume | None, JobDescription | None,
                                                                  Assignment | None]:
    if spec.mode not in InterviewMode.values:
        raise InterviewError(f"Unknown interview mode {spec.mode!r}.", code="bad_mode")
    if not 0 <= spec.difficulty <= 3:
        raise InterviewError("Difficulty is 0 (adaptive) or 1 to 3.", code="bad_difficulty")
    if not 1 <= spec.count <= 20:
        raise InterviewError("An interview has 1 to 20 questions.", code="bad_count")
    if spec.persona not in Persona.values:
        raise InterviewError(f"Unknown persona {spec.persona!r}.", code="bad_persona")
    topics = list(Topic.objects.filter(slug__in=spec.topic_slugs).exclude(kind="delivery"))
    if len(topics) != len(set(spec.topic_slugs)):
        raise InterviewError("Unknown topic.", code="bad_topic")
    from rag.selection import MODE_KINDS

    off_mode = [t.name for t in topics if t.kind not in MODE_KINDS.get(spec.mode, ())]
    if off_mode:
        raise InterviewError(f"A {spec.mode} interview does not ask {', '.join(off_mode)}; choose the mixed mode to "
                             "combine technical and behavioral topics.", code="bad_topic")
    resume = None
    if spec.resume_id is not None:
        resume = Resume.objects.filter(pk=spec.resume_id, user=user).first()
        if resume is None:
            raise InterviewError("That resume is not yours or does not exist.", code="bad_resume")
    job = None
    if spec.job_description_id is not None:
        job = JobDescription.objects.filter(pk=spec.job_description_id, user=user).first()
        if job is None:
            raise InterviewError("That job description is not yours or does not exist.", code="bad_job")
    assignment = None
    if spec.assignment_id is not None:
        assignment = Assignment.objects.filter(
            pk=spec.assignment_id, cohort__memberships__user=user, cohort__memberships__left_at__isnull=True
        ).first()
        if assignment is None:
            raise InterviewError("That assignment is not for you.", code="bad_assignment")
    if spec.mode == InterviewMode.RESUME and resume is None:
        from accounts.selectors import active_resume

        resume = active_resume(user=user)
        if resume is None:
            raise InterviewError("Upload a resume first: resume-based interviews ask about your own projects.",
                                 code="no_resume")
    return topics, resume, job, assignment


@transaction.atomic
def interview_start(*, user: User, spec: InterviewSpec) -> InterviewSession:
    """Create a session and its planned questions (chosen by rag.selection)."""
    from rag.selection import questions_choose
    from sessions.selectors import asked_history

    topics, resume, job, assignment = _validate_spec(user=user, spec=spec)
    session = InterviewSession.objects.create(
        owner=user, mode=spec.mode, difficulty=spec.difficulty, planned_count=spec.count, persona=spec.persona,
        resume=resume, job_description=job, assignment=assignment, started_at=timezone.now(),
        hands_free=spec.hands_free,
    )
    session.topics.set(topics)
    if spec.bank_question_ids:
        from rag.selection import questions_from_bank

        plans, engine = questions_from_bank(ext_ids=list(spec.bank_question_ids)[:spec.count],
                                            reasons=spec.bank_question_reasons), "bank"
    else:
        plans, engine = questions_choose(user=user, mode=spec.mode, topics=topics, difficulty=spec.difficulty,
                                         count=spec.count, history=asked_history(user=user), resume=resume,
                                         job_description=job)
    if not plans:
        raise InterviewError("No questions match these choices; pick more topics or another difficulty.",
                             code="no_questions")
    for position, plan in enumerate(plans, start=1):
        SessionQuestion.objects.create(session=session, position=position, **plan.as_fields())
    session.question_engine = engine
    session.save(update_fields=["question_engine"])
    return session


def interview_difficulty_adapt(*, answer: Answer) -> SessionQuestion | None:
    """Adaptive interviews (difficulty 0): after a scored answer, the next unasked bank question moves to the
    difficulty the answer earned (rag.selection.difficulty_next; never harder after a wrong answer). Returns the
    question rewritten in place, or None when nothing changed."""
    from rag.selection import difficulty_next, question_replacement
    from sessions.selectors import asked_history

    question = answer.question
    session = question.session
    if session.difficulty or not session.is_open or session.mode == InterviewMode.RESUME:
        return None
    target = difficulty_next(current=question.difficulty, content_score=answer.content_score,
                             contradicted=len(answer.key_points_contradicted or []))
    upcoming = (session.questions.filter(status=QuestionStatus.PENDING, position__gt=question.position,
                                         source="bank", bank_question__isnull=False)
                .select_related("bank_question").order_by("position").first())
    if upcoming is None or upcoming.difficulty == target:
        return None
    plan = question_replacement(
        user=session.owner, mode=session.mode, topics=list(session.topics.all()), replacing=upcoming, target=target,
        interview_ext_ids=list(session.questions.filter(bank_question__isnull=False)
                               .values_list("bank_question__ext_id", flat=True)),
        history=asked_history(user=session.owner))
    if plan is None:
        return None
    for name, value in plan.as_fields().items():
        setattr(upcoming, name, value)
    upcoming.save()
    return upcoming


def question_mark_asked(*, question: SessionQuestion) -> SessionQuestion:
    if question.status == QuestionStatus.PENDING:
        question.status = QuestionStatus.ASKED
        question.asked_at = timezone.now()
        question.save(update_fields=["status", "asked_at"])
    return question


def _require_open(session: InterviewSession) -> None:
    if not session.is_open:
        raise InterviewError("This interview has ended.", code="session_closed")


def question_skip(*, question: SessionQuestion) -> SessionQuestion:
    _require_open(question.session)
    if question.status in (QuestionStatus.PENDING, QuestionStatus.ASKED):
        question.status = QuestionStatus.SKIPPED
        question.save(update_fields=["status"])
    return question


def question_insert_after(*, after: SessionQuestion, fields: dict[str, Any]) -> SessionQuestion:
    """Insert a question right after `after` (adaptive follow-ups), shifting later positions."""
    session = after.session
    with transaction.atomic():
        later = list(session.questions.select_for_update().filter(position__gt=after.position)
                     .order_by("-position"))
        # Shift from the end so the unique (session, position) constraint holds at every step.
        for question in later:
            question.position += 1
            question.save(update_fields=["position"])
        return SessionQuestion.objects.create(session=session, position=after.position + 1, **fields)


@transaction.atomic
def answer_begin(*, question: SessionQuestion, user: User, input_mode: str = InputMode.VOICE) -> Answer:
    """Open a new attempt at `question` (a re-answer when earlier attempts exist)."""
    session = question.session
    _require_open(session)
    if session.status == SessionStatus.PAUSED:
        session.status = SessionStatus.ACTIVE
        session.save(update_fields=["status"])
    if input_mode == InputMode.VOICE:
        try:
            storage_quota_check(user=user)
        except StorageQuotaExceeded as exc:
            raise InterviewError(str(exc), code="storage_full") from exc
    question_mark_asked(question=question)
    for _ in range(3):
        try:
            with transaction.atomic():
                # The question's row lock serialises concurrent starts: five sockets starting at once get one
                # spoken answer; the others are told to resume it (one writer per answer, audio/live.py).
                locked = SessionQuestion.objects.select_for_update().get(pk=question.pk)
                if input_mode == InputMode.VOICE:
                    recording = locked.answers.filter(status=AnswerStatus.RECORDING,
                                                      input_mode=InputMode.VOICE).first()
                    if recording is not None:
                        raise InterviewError(f"An answer to this question is already being recorded (answer "
                                             f"{recording.pk}); resume it instead.", code="answer_in_progress")
                attempt = (locked.answers.aggregate(m=Max("attempt"))["m"] or 0) + 1
                return Answer.objects.create(question=locked, user=user, attempt=attempt, input_mode=input_mode)
        except IntegrityError:  # a concurrent attempt took this number; take the next one
            continue
    raise InterviewError("Could not open an answer; try again.", code="conflict")


def answer_in_progress(*, session: InterviewSession) -> Answer | None:
    return (Answer.objects.filter(question__session=session, status=AnswerStatus.RECORDING,
                                  input_mode=InputMode.VOICE)
            .order_by("-started_at").first())


@transaction.atomic
def answer_complete(*, answer: Answer, signal: dict[str, Any], audio_bytes: int,
                    live_transcript: dict[str, Any] | None = None, live_engine: str = "") -> Answer:
    """Store the signal aggregates of a finished spoken answer in one write, then queue the scoring pipeline.

    Idempotent: a second call on an answer that already left `recording` changes nothing.
    """
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    if answer.status != AnswerStatus.RECORDING:
        return answer
    contour = signal.pop("contour", {}) if isinstance(signal, dict) else {}
    answer.signal = signal
    answer.contour = contour or {}
    answer.audio_bytes = audio_bytes
    answer.duration_s = signal.get("duration_s")
    answer.speaking_time_s = signal.get("speaking_time_s")
    answer.ended_at = timezone.now()
    answer.live_engine = live_engine
    answer.status = AnswerStatus.PROCESSING
    answer.progress = "queued"
    if live_transcript:
        answer.transcript = live_transcript.get("text", "")
        answer.words = live_transcript.get("words", [])
        answer.transcript_engine = live_transcript.get("engine", live_engine)
        answer.transcript_confidence = live_transcript.get("confidence")
    answer.save()
    _question_answered(answer.question)
    pipeline_chain.answer_pipeline_enqueue(answer_id=answer.pk)
    return answer


def _question_answered(question: SessionQuestion) -> None:
    if question.status != QuestionStatus.ANSWERED:
        question.status = QuestionStatus.ANSWERED
        question.save(update_fields=["status"])


@transaction.atomic
def answer_submit_text(*, question: SessionQuestion, user: User, text: str) -> Answer:
    """A typed answer (no microphone): content scoring and feedback, no delivery measurements."""
    text = " ".join(text.split())
    if not text:
        raise InterviewError("Type an answer first.", code="empty_answer")
    if len(text) > 10000:
        raise InterviewError("That answer is too long (10,000 characters at most).", code="answer_too_long")
    answer = answer_begin(question=question, user=user, input_mode=InputMode.TEXT)
    answer.transcript = text
    answer.transcript_engine = "typed"
    answer.words = []
    answer.status = AnswerStatus.PROCESSING
    answer.progress = "queued"
    answer.ended_at = timezone.now()
    answer.save()
    _question_answered(question)
    pipeline_chain.answer_pipeline_enqueue(answer_id=answer.pk)
    return answer


@transaction.atomic
def answer_retry(*, answer: Answer) -> Answer:
    """Run the pipeline again for an answer that failed (or re-score one: the pipeline is idempotent)."""
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    if answer.status == AnswerStatus.RECORDING:
        raise InterviewError("This answer is still being recorded.", code="answer_in_progress")
    answer.status = AnswerStatus.PROCESSING
    answer.progress = "queued"
    answer.error = ""
    answer.save(update_fields=["status", "progress", "error"])
    pipeline_chain.answer_pipeline_enqueue(answer_id=answer.pk, force=True)
    return answer


def answer_step_failed(failure: StepFailure) -> None:
    """A step of the answer's pipeline ran out of retries: end the answer `failed` with the reason, tell the page.

    Registered with pipeline/ in this app's AppConfig.ready. A scored answer stays scored (a late duplicate of a
    step that already succeeded must not undo it); the page shows the reason and offers a retry.
    """
    from sessions.notify import session_notify

    updated = Answer.objects.filter(pk=failure.answer_id).exclude(status=AnswerStatus.SCORED).update(
        status=AnswerStatus.FAILED, error=failure.reason, progress="")
    answer = Answer.objects.filter(pk=failure.answer_id).select_related("question").first()
    if updated and answer is not None:
        session_notify(session_id=answer.question.session_id, event={
            "type": "answer.scored", "answer_id": answer.pk, "question_id": answer.question_id,
            "status": "failed", "error": failure.reason,
        })


@transaction.atomic
def interview_finish(*, session: InterviewSession) -> InterviewSession:
    """End the interview: unanswered questions are left as they are, the report is built in the background."""
    session = InterviewSession.objects.select_for_update().get(pk=session.pk)
    if session.status == SessionStatus.COMPLETED:
        return session
    if session.status == SessionStatus.ABANDONED:
        raise InterviewError("This interview was abandoned.", code="session_closed")
    session.status = SessionStatus.COMPLETED
    session.finished_at = timezone.now()
    session.save(update_fields=["status", "finished_at"])
    report, _ = Report.objects.get_or_create(session=session)
    report.status = ReportStatus.PENDING
    report.progress = 0
    report.save(update_fields=["status", "progress"])
    pipeline_chain.report_build_enqueue(session_id=session.pk)
    return session


def interview_abandon(*, session: InterviewSession) -> InterviewSession:
    if session.status == SessionStatus.COMPLETED:
        raise InterviewError("A finished interview cannot be abandoned.", code="session_closed")
    session.status = SessionStatus.ABANDONED
    session.finished_at = timezone.now()
    session.save(update_fields=["status", "finished_at"])
    return session


def interview_pause(*, session: InterviewSession) -> InterviewSession:
    _require_open(session)
    session.status = SessionStatus.PAUSED
    session.save(update_fields=["status"])
    return session


def interview_resume(*, session: InterviewSession) -> InterviewSession:
    _require_open(session)
    if session.status == SessionStatus.PAUSED:
        session.status = SessionStatus.ACTIVE
        session.save(update_fields=["status"])
    return session


def answer_audio_purge(*, older_than_days: int | None = None, now: Any = None, dry_run: bool = False) -> int:
    """Delete the audio files (raw PCM and the compressed replay copy) of spoken answers older than
    `older_than_days` (default settings.AUDIO_RETENTION_DAYS); keep everything measured from them (transcript,
    signal, scores, feedback) and stamp `audio_deleted_at`. Returns how many answers lost (or, with `dry_run`,
    would lose) their audio.

    Idempotent: stamped answers are skipped. Answers in the scoring pipeline keep their file (the transcription
    step reads it); a recording older than the cutoff is an abandoned one and is purged. Each file is unlinked
    before its row is stamped, so a crash in between leaves a row that the next run stamps, never a stamped row
    whose file still exists.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q

    days = settings.AUDIO_RETENTION_DAYS if older_than_days is None else older_than_days
    if days < 0:
        raise ValueError("older_than_days must be zero or more")
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    expired = (Answer.objects
               .filter(input_mode=InputMode.VOICE, audio_deleted_at__isnull=True)
               .exclude(status=AnswerStatus.PROCESSING)
               .filter(Q(ended_at__lt=cutoff) | Q(ended_at__isnull=True, started_at__lt=cutoff))
               .only("pk", "audio_name")
               .order_by("pk"))
    if dry_run:
        return expired.count()
    purged = 0
    # Batches keep memory flat on a large table; the pk cursor makes each query cheap and restart-safe.
    last_pk = 0
    while True:
        batch = list(expired.filter(pk__gt=last_pk)[:500])
        if not batch:
            return purged
        last_pk = batch[-1].pk
        for answer in batch:
            answer.audio_path.unlink(missing_ok=True)
            answer.replay_path.unlink(missing_ok=True)  # the compressed copy for replay, when there is one
        # The status filter again: an answer re-queued for scoring meanwhile stays unstamped (its file is gone;
        # the transcription step then keeps the stored transcript).
        purged += (Answer.objects.filter(pk__in=[a.pk for a in batch], audio_deleted_at__isnull=True)
                   .exclude(status=AnswerStatus.PROCESSING).update(audio_deleted_at=now))


# --- cohort assignments (instructors; refusals are the account layer's AccountError, as for cohorts) ----------

def assignment_create(*, cohort: Cohort, created_by: User, title: str = "", mode: str = "technical",
                      topic_slugs: Iterable[str] = (), difficulty: int = 0, question_count: int = 5,
                      due_at: datetime | None = None) -> Assignment:
    """A practice set for every member of `cohort`; members see it on their dashboard and start it in one click.

    Validated with the same bounds `interview_start` applies, so an assignment can always be started.
    """
    from accounts.services import AccountError, cohort_require_manager

    cohort_require_manager(cohort=cohort, user=created_by)
    if not cohort.is_active:
        raise AccountError("This cohort is archived.")
    if mode not in InterviewMode.values:
        raise AccountError(f"Unknown interview mode {mode!r}.")
    if not 0 <= difficulty <= 3:
        raise AccountError("Difficulty is 0 (mixed) or 1 to 3.")
    if not 1 <= question_count <= 20:
        raise AccountError("An assignment has 1 to 20 questions.")
    if due_at is not None and due_at < timezone.now():
        raise AccountError("The due date is in the past.")
    slugs = set(topic_slugs)
    topics = list(Topic.objects.filter(slug__in=slugs).exclude(kind="delivery"))
    if len(topics) != len(slugs):
        raise AccountError("Unknown topic.")
    title = " ".join(title.split())[:200] or f"{InterviewMode(mode).label} practice"
    assignment = Assignment.objects.create(cohort=cohort, created_by=created_by, title=title, mode=mode,
                                           difficulty=difficulty, question_count=question_count, due_at=due_at)
    assignment.topics.set(topics)
    return assignment


def assignment_delete(*, assignment: Assignment, user: User) -> None:
    # Interviews already started from it keep existing: their FK is SET_NULL.
    from accounts.services import cohort_require_manager

    cohort_require_manager(cohort=assignment.cohort, user=user)
    assignment.delete()


def report_share_create(*, session: InterviewSession, days: int | None = None, note: str = "") -> ReportShareLink:
    """A read-only link to the report of a finished interview, for a mentor; it expires after `days` (default
    settings.REPORT_SHARE_DAYS, at most REPORT_SHARE_MAX_DAYS). The caller checks the user owns the session."""
    from django.conf import settings

    if session.status != SessionStatus.COMPLETED:
        raise InterviewError("Only a finished interview's report can be shared.", code="not_finished")
    days = settings.REPORT_SHARE_DAYS if days is None else days
    if not 1 <= days <= settings.REPORT_SHARE_MAX_DAYS:
        raise InterviewError(f"A link lasts 1 to {settings.REPORT_SHARE_MAX_DAYS} days.", code="bad_days")
    return ReportShareLink.objects.create(session=session, note=" ".join(note.split())[:80],
                                          expires_at=timezone.now() + timedelta(days=days))


def report_share_revoke(*, link: ReportShareLink) -> ReportShareLink:
    """Ends the link now (idempotent: a revoked link keeps its first revocation time)."""
    ReportShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db()
    return link


def report_share_record_view(*, link: ReportShareLink) -> None:
    """Counts an opening of the link (the candidate sees whether their mentor looked)."""
    ReportShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
