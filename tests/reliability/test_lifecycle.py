"""Data lifecycle: raw audio goes after AUDIO_RETENTION_DAYS while the analysis stays; a user's data can be
exported and deleted (services from the accounts app, used by the admin actions in accounts/admin_actions.py).
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sessions.models import Answer, AnswerStatus
from sessions.services import answer_audio_purge

pytestmark = pytest.mark.django_db

PCM = b"\x01\x02" * 8000  # half a second


def spoken(answer_factory, user, *, days_ago: float, status: str = AnswerStatus.SCORED, **fields) -> Answer:  # noqa: ANN001
    ended = timezone.now() - timedelta(days=days_ago)
    answer = answer_factory(user=user, status=status, input_mode="voice", transcript="I built a queue.",
                            words=[{"text": "I", "start": 0.0, "end": 0.1}], content_score=71.0,
                            signal={"pitch_mean_hz": 120.0}, feedback={"summary": "Good."},
                            audio_bytes=len(PCM), **fields)
    Answer.objects.filter(pk=answer.pk).update(ended_at=ended if status != AnswerStatus.RECORDING else None,
                                               started_at=ended - timedelta(minutes=1))
    answer.refresh_from_db()
    answer.audio_path.parent.mkdir(parents=True, exist_ok=True)
    answer.audio_path.write_bytes(PCM)
    return answer


def test_purge_deletes_old_audio_and_keeps_the_analysis(answer_factory, candidate, settings):
    settings.AUDIO_RETENTION_DAYS = 30
    old = spoken(answer_factory, candidate, days_ago=31)
    failed_old = spoken(answer_factory, candidate, days_ago=40, status=AnswerStatus.FAILED)
    recent = spoken(answer_factory, candidate, days_ago=29)

    assert answer_audio_purge() == 2

    for answer in (old, failed_old):
        answer.refresh_from_db()
        assert not answer.audio_path.exists()
        assert answer.audio_deleted_at is not None
        # What was measured from the audio stays.
        assert answer.transcript == "I built a queue." and answer.content_score == 71.0
        assert answer.signal == {"pitch_mean_hz": 120.0} and answer.feedback == {"summary": "Good."}
        assert answer.audio_bytes == len(PCM) and answer.status in (AnswerStatus.SCORED, AnswerStatus.FAILED)
    recent.refresh_from_db()
    assert recent.audio_path.read_bytes() == PCM and recent.audio_deleted_at is None


def test_purge_is_idempotent_and_keeps_the_first_stamp(answer_factory, candidate):
    old = spoken(answer_factory, candidate, days_ago=10)
    first_now = timezone.now()
    assert answer_audio_purge(older_than_days=5, now=first_now) == 1
    assert answer_audio_purge(older_than_days=5) == 0
    old.refresh_from_db()
    assert old.audio_deleted_at == first_now


def test_purge_spares_answers_in_the_pipeline_and_typed_ones(answer_factory, candidate):
    processing = spoken(answer_factory, candidate, days_ago=50, status=AnswerStatus.PROCESSING)
    typed = answer_factory(user=candidate, input_mode="text", transcript="typed")
    Answer.objects.filter(pk=typed.pk).update(ended_at=timezone.now() - timedelta(days=50))
    assert answer_audio_purge(older_than_days=1) == 0
    processing.refresh_from_db()
    assert processing.audio_path.exists() and processing.audio_deleted_at is None
    typed.refresh_from_db()
    assert typed.audio_deleted_at is None


def test_abandoned_recording_past_the_cutoff_is_purged(answer_factory, candidate):
    stale = spoken(answer_factory, candidate, days_ago=60, status=AnswerStatus.RECORDING)
    live = spoken(answer_factory, candidate, days_ago=0, status=AnswerStatus.RECORDING)
    assert answer_audio_purge(older_than_days=30) == 1
    assert not stale.audio_path.exists() and live.audio_path.exists()


def test_a_missing_file_is_still_stamped(answer_factory, candidate):
    """A file already gone (a crash after unlink, a manual clean-up) must not make the purge fail or repeat."""
    gone = spoken(answer_factory, candidate, days_ago=90)
    gone.audio_path.unlink()
    assert answer_audio_purge(older_than_days=30) == 1
    gone.refresh_from_db()
    assert gone.audio_deleted_at is not None


def test_rejects_a_negative_age(db):
    with pytest.raises(ValueError):
        answer_audio_purge(older_than_days=-1)
    with pytest.raises(CommandError):
        call_command("purge_audio", "--days", "-3")


def test_command_dry_run_then_for_real(answer_factory, candidate, settings):
    settings.AUDIO_RETENTION_DAYS = 7
    old = spoken(answer_factory, candidate, days_ago=8)
    out = StringIO()
    call_command("purge_audio", "--dry-run", stdout=out)
    assert "would delete the audio of 1 answer(s) older than 7 day(s)" in out.getvalue()
    assert old.audio_path.exists()

    out = StringIO()
    call_command("purge_audio", stdout=out)
    assert "deleted the audio of 1 answer(s)" in out.getvalue() and not old.audio_path.exists()

    out = StringIO()
    call_command("purge_audio", "--days", "0", stdout=out)  # again: nothing left to delete
    assert "deleted the audio of 0 answer(s)" in out.getvalue()


def test_rescoring_a_purged_answer_keeps_its_transcript(answer_factory, candidate):
    """After the purge, re-running transcription (an admin's re-run) must keep the stored transcript."""
    from audio.services import answer_transcribe

    old = spoken(answer_factory, candidate, days_ago=100, duration_s=0.5, speaking_time_s=0.4)
    Answer.objects.filter(pk=old.pk).update(transcript_engine="local-whisper")
    answer_audio_purge(older_than_days=30)
    answer = answer_transcribe(answer_id=old.pk, force=True)
    assert answer.transcript == "I built a queue."


def test_user_can_be_exported_then_deleted_with_their_audio(answer_factory, candidate, other_candidate,
                                                            django_capture_on_commit_callbacks):
    from accounts.selectors import user_data_export
    from accounts.services import user_data_delete

    mine = spoken(answer_factory, candidate, days_ago=1)
    theirs = spoken(answer_factory, other_candidate, days_ago=1)
    export = user_data_export(user=candidate)
    dumped = repr(export)
    assert "I built a queue." in dumped and candidate.email in dumped
    assert other_candidate.email not in dumped

    with django_capture_on_commit_callbacks(execute=True):  # the files go on commit
        counts = user_data_delete(user=candidate)
    assert counts["answers"] == 1 and counts["interviews"] == 1
    assert not Answer.objects.filter(user=candidate).exists()
    assert Answer.objects.filter(pk=theirs.pk).exists() and theirs.audio_path.exists()
    assert not mine.audio_path.exists()
