"""Reads for the interview pages, the API and the consumer. Ownership is part of every query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Prefetch, QuerySet, Sum, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from interviewprep.media import ByteSource, wav_header
from pipeline.figures import Figures, figures_of
from rag.selection import RECENT_DAYS, AskedHistory
from sessions.models import (
    Answer,
    AnswerStatus,
    InputMode,
    InterviewSession,
    QuestionStatus,
    ReportShareLink,
    SessionQuestion,
    SessionStatus,
)


def session_for_owner(*, user: User, session_id: int) -> InterviewSession:
    """The session if `user` owns it; 404 otherwise (another user's id reveals nothing)."""
    session = InterviewSession.objects.filter(pk=session_id, owner=user).first()
    if session is None:
        raise Http404("No such interview.")
    return session


def question_for_owner(*, user: User, session_id: int, question_id: int) -> SessionQuestion:
    question = (SessionQuestion.objects.select_related("session")
                .filter(pk=question_id, session_id=session_id, session__owner=user).first())
    if question is None:
        raise Http404("No such question.")
    return question


def answer_for_owner(*, user: User, answer_id: int) -> Answer:
    answer = (Answer.objects.select_related("question", "question__session", "question__topic",
                                            "question__subtopic")
              .filter(pk=answer_id, user=user).first())
    if answer is None:
        raise Http404("No such answer.")
    return answer


def _questions_prefetch() -> Prefetch:
    # The figures read scores and delivery measures, never the pitch contour or the feedback text: a cohort page
    # over many interviews does not load them.
    answers = Answer.objects.defer("contour", "feedback").order_by("attempt")
    return Prefetch("questions", queryset=SessionQuestion.objects.select_related("topic", "subtopic")
                    .prefetch_related(Prefetch("answers", queryset=answers)).order_by("position"))


def session_figures(*, session: InterviewSession) -> Figures:
    """The interview's figures (answered of questions, mean scores, mean pace): pipeline/figures.py defines them,
    and every page, the API, the PDF and the cohort pages read them from here."""
    return figures_of(session_questions_with_answers(session=session))


def sessions_with_figures(sessions: Iterable[InterviewSession] | QuerySet[InterviewSession]
                          ) -> list[InterviewSession]:
    """`sessions` as a list, each with `.figures` set (two queries for the lot: questions, then answers)."""
    sessions = list(sessions)
    prefetch_related_objects(sessions, _questions_prefetch())
    for session in sessions:
        session.figures = figures_of(list(session.questions.all()))
    return sessions


def assignments_done(*, assignment_ids: Iterable[int], user_ids: Iterable[int]) -> set[tuple[int, int]]:
    """The (assignment id, user id) pairs that are done: the member finished an interview for the assignment and
    answered every question it showed them, follow-ups included (`Figures.complete`). An interview ended with a
    question still unasked, skipped or unscored does not complete an assignment: the instructor's "done" and the
    member's report ("Not asked yet") can never disagree."""
    candidates = (InterviewSession.objects.filter(assignment_id__in=list(assignment_ids), owner_id__in=list(user_ids),
                                                  status=SessionStatus.COMPLETED))
    return {(s.assignment_id, s.owner_id) for s in sessions_with_figures(candidates) if s.figures.complete}


def sessions_for_user(*, user: User) -> QuerySet[InterviewSession]:
    """The candidate's interviews, newest first (pass a page of them to `sessions_with_figures` for the figures)."""
    return (InterviewSession.objects.filter(owner=user).select_related("report").prefetch_related("topics")
            .order_by("-created_at"))


def session_questions_with_answers(*, session: InterviewSession) -> list[SessionQuestion]:
    return list(session.questions.select_related("topic", "subtopic", "parent")
                .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("attempt")))
                .order_by("position"))


def answer_attempts(*, answer: Answer) -> list[Answer]:
    return list(Answer.objects.filter(question=answer.question).order_by("attempt"))


def answer_status(*, answer: Answer) -> dict[str, object]:
    """What the page polls for (the channel layer's push may be lost)."""
    from django.urls import reverse

    return {
        "answer_id": answer.pk,
        "question_id": answer.question_id,
        "status": answer.status,
        "progress": answer.progress,
        "error": answer.error,
        "content_score": answer.content_score,
        "delivery_score": answer.delivery_score,
        "structure_score": answer.structure_score,
        "feedback_engine": answer.feedback_engine,
        "feedback_url": reverse("interviews:answer", args=[answer.pk]),
    }


def room_state(*, session: InterviewSession) -> dict[str, object]:
    """The room's view of the interview: its questions, their attempts, and which one is current."""
    questions = session_questions_with_answers(session=session)
    current = next((q for q in questions if q.status in (QuestionStatus.PENDING, QuestionStatus.ASKED)), None)
    return {
        "status": session.status,
        "currentQuestionId": current.pk if current else None,
        "questions": [{"id": q.pk, "position": q.position, "text": q.text, "topic": q.topic.name,
                       "subtopic": q.subtopic.name if q.subtopic else "", "hint": q.hint, "status": q.status,
                       "source": q.source, "parentId": q.parent_id, "rationale": q.rationale,
                       "answers": [{"id": a.pk, "attempt": a.attempt, "status": a.status,
                                    "content_score": a.content_score} for a in q.answers.all()]}
                      for q in questions],
    }


def asked_history(*, user: User, days: int = RECENT_DAYS) -> AskedHistory:
    """What question choice needs of the candidate's past: bank questions asked in the last `days` days, and how
    many interviews they have (it seeds the choice, so each interview differs and a repeat is reproducible)."""
    since = timezone.now() - timedelta(days=days)
    recent = (SessionQuestion.objects.filter(session__owner=user, session__created_at__gte=since,
                                             bank_question__isnull=False)
              .values_list("bank_question_id", flat=True))
    return AskedHistory(recent_bank_ids=frozenset(recent),
                        interview_number=InterviewSession.objects.filter(owner=user).count())


def caption_engine_preference() -> str:
    """The live caption engine a room will use: the page shows it and the audio socket starts it."""
    if settings.LIVE_CAPTIONS == "off":
        return "off"
    return "assemblyai" if settings.ASSEMBLYAI_API_KEY else "local"


def answer_audio_bytes_held(user: User) -> int:
    """Bytes of answer audio still on disk for `user` (their share of the storage quota, accounts/storage.py):
    the stored size of ended answers (the compressed copy's once made), the file's size so far for answers being
    recorded."""
    kept = Answer.objects.filter(user=user, audio_deleted_at__isnull=True)
    ended = kept.exclude(status=AnswerStatus.RECORDING).aggregate(
        total=Sum(Coalesce("audio_compressed_bytes", "audio_bytes")))["total"] or 0
    recording = sum(a.audio_path.stat().st_size for a in kept.filter(status=AnswerStatus.RECORDING)
                    if a.audio_path.exists())
    return ended + recording


def answer_has_replay(answer: Answer) -> bool:
    """Whether the answer has audio to play back (decided from the row, without touching the disk): a spoken answer
    out of the pipeline (scored or failed), whose audio was not purged. Not while it is processing: its raw PCM is
    compressed during transcription, and a player must never see the file change under it."""
    return (answer.input_mode == InputMode.VOICE and answer.status in (AnswerStatus.SCORED, AnswerStatus.FAILED)
            and answer.audio_deleted_at is None
            and (answer.audio_compressed_bytes is not None or answer.audio_bytes > 0))


def answer_replay_source(*, answer: Answer) -> tuple[ByteSource, str, str] | None:
    """What the replay URL serves for `answer`: (bytes, content type, file name), or None when there is nothing.
    The compressed copy when it exists; when making it failed (or for an answer that failed before it was made)
    the raw PCM, served as WAV so every browser plays it."""
    if not answer_has_replay(answer):
        return None
    if answer.replay_path.exists():
        return ByteSource(answer.replay_path), "audio/webm", f"answer-{answer.pk}.webm"
    pcm = answer.audio_path
    if not pcm.exists():
        return None
    size = pcm.stat().st_size
    size -= size % 2
    return (ByteSource(pcm, prefix=wav_header(size, rate=settings.AUDIO_SAMPLE_RATE)), "audio/wav",
            f"answer-{answer.pk}.wav")


_SHARE_SALT = "interviews.report-share"


def share_token(link: ReportShareLink) -> str:
    """The signed token in a share link's URL: it names the row (id and nonce); the signature stops a mentor from
    editing it into another interview's link."""
    return signing.dumps({"id": link.pk, "n": link.nonce}, salt=_SHARE_SALT)


def share_link_for_token(*, token: str) -> ReportShareLink:
    """The live link a token names; 404 for a bad signature, an unknown, revoked or expired link (all alike)."""
    try:
        value = signing.loads(token, salt=_SHARE_SALT, max_age=timedelta(days=settings.REPORT_SHARE_MAX_DAYS + 1))
    except signing.BadSignature:
        raise Http404("No such report.") from None
    if not isinstance(value, dict):
        raise Http404("No such report.")
    link = (ReportShareLink.objects.select_related("session", "session__report")
            .filter(pk=value.get("id"), nonce=value.get("n"), revoked_at__isnull=True,
                    expires_at__gt=timezone.now()).first())
    if link is None:
        raise Http404("No such report.")
    return link


def share_links_for_session(*, session: InterviewSession) -> list[ReportShareLink]:
    """The session's links still open, newest first, each with `.token` for its URL."""
    links = list(session.share_links.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()))
    for link in links:
        link.token = share_token(link)
    return links


def share_link_for_owner(*, user: User, session_id: int, link_id: int) -> ReportShareLink:
    link = ReportShareLink.objects.filter(pk=link_id, session_id=session_id, session__owner=user).first()
    if link is None:
        raise Http404("No such link.")
    return link
