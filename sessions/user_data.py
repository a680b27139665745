"""The interviews' part of a user's data export and delete (registered with accounts/user_data.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.user_data import ExportFile, UserDataDeleted, UserDataPart
from sessions.models import Answer, InterviewSession
from sessions.selectors import answer_replay_source

ANSWER_FIELDS = ("id", "question_id", "attempt", "input_mode", "status", "error", "audio_bytes",
                 "audio_compressed_bytes", "audio_deleted_at",
                 "started_at", "ended_at", "duration_s", "speaking_time_s", "signal", "transcript", "words",
                 "transcript_engine", "delivery", "content_score", "similarity", "key_points_covered",
                 "key_points_missed", "feedback", "feedback_engine", "delivery_score", "structure_score", "scored_at")


def _recordings(user: User) -> dict[int, ExportFile]:
    """Each answer's recording as it goes into the export archive: the compressed copy, or the raw PCM as WAV."""
    files = {}
    for answer in (Answer.objects.filter(user=user).order_by("pk")
                   .only("input_mode", "status", "audio_name", "audio_bytes", "audio_compressed_bytes",
                         "audio_deleted_at")):
        replay = answer_replay_source(answer=answer)
        if replay is not None:
            source, _content_type, filename = replay
            files[answer.pk] = ExportFile(name=f"audio/{filename}", path=source.path, prefix=source.prefix)
    return files


def interviews_files(user: User) -> list[ExportFile]:
    return list(_recordings(user).values())


def interviews_export(user: User) -> dict[str, Any]:
    answers_by_question: dict[int, list[dict[str, Any]]] = {}
    recordings = _recordings(user)
    for answer in Answer.objects.filter(user=user).order_by("question_id", "attempt").values(*ANSWER_FIELDS):
        recording = recordings.get(answer["id"])
        answer["audio_file"] = recording.name if recording else None  # its path in the export archive
        answers_by_question.setdefault(answer.pop("question_id"), []).append(answer)
    interviews = []
    sessions = (InterviewSession.objects.filter(owner=user).prefetch_related("topics", "questions")
                .select_related("report").order_by("created_at"))
    for session in sessions:
        report = getattr(session, "report", None)
        interviews.append({
            "id": session.pk, "mode": session.mode, "status": session.status, "difficulty": session.difficulty,
            "persona": session.persona, "topics": [t.slug for t in session.topics.all()],
            "assignment_id": session.assignment_id, "created_at": session.created_at,
            "started_at": session.started_at, "finished_at": session.finished_at,
            "questions": [{"id": q.pk, "position": q.position, "text": q.text, "topic_id": q.topic_id,
                           "subtopic_id": q.subtopic_id, "difficulty": q.difficulty, "source": q.source,
                           "status": q.status, "answers": answers_by_question.get(q.pk, [])}
                          for q in sorted(session.questions.all(), key=lambda q: q.position)],
            "report": None if report is None else {
                "status": report.status, "content_score": report.content_score,
                "delivery_score": report.delivery_score, "confidence_score": report.confidence_score,
                "engine": report.engine, "built_at": report.built_at, "data": report.data},
        })
    return {"interviews": interviews}


def interviews_delete(user: User) -> UserDataDeleted:
    """Answers and interviews; their audio files go once the deletion has committed."""
    audio_paths = [path for a in Answer.objects.filter(user=user).only("audio_name")
                   for path in (a.audio_path, a.replay_path)]
    counts = {}
    for label, queryset in (("answers", Answer.objects.filter(user=user)),
                            ("interviews", InterviewSession.objects.filter(owner=user))):
        counts[label] = queryset.count()
        queryset.delete()

    def files_delete() -> None:
        for path in audio_paths:
            path.unlink(missing_ok=True)

    return UserDataDeleted(counts=counts, after_commit=files_delete)


PART = UserDataPart(app="sessions", order=10, export=interviews_export, delete=interviews_delete,
                    files=interviews_files)
