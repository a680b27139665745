"""The answer pipeline: its steps and their order, a step that gives up, and reports waiting without a thread."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline import chain as pipeline_chain


def test_mastery_is_applied_before_the_answer_is_marked_scored(monkeypatch) -> None:  # noqa: ANN001
    """A `scored` answer has updated mastery, so the report's study-plan rewrite sees every answer."""
    queued: list = []
    monkeypatch.setattr(pipeline_chain, "task_enqueue", lambda sig, **_kw: queued.append(sig))
    pipeline_chain.answer_pipeline_enqueue(answer_id=7, force=True)
    (chain,) = queued
    assert [(s.task, s.args) for s in chain.tasks] == [
        ("audio.tasks.answer_transcribe", (7, True)),
        ("rag.tasks.answer_score_content", (7, True)),
        ("rag.tasks.answer_feedback", (7, True)),
        ("mastery.tasks.mastery_apply_answer", (7,)),
        ("sessions.tasks.answer_finalize", (7,)),
    ]


def test_every_step_is_a_registered_pipeline_step() -> None:
    """Chained by name, so each name must be a registered task built on the pipeline's step class."""
    from celery import current_app

    from pipeline.steps import AnswerStepTask

    for name, _force in pipeline_chain.ANSWER_STEPS:
        assert isinstance(current_app.tasks[name], AnswerStepTask), name


def _failing(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("disk on fire")


@pytest.mark.parametrize(("task_name", "service"), [
    ("mastery.tasks.mastery_apply_answer", "mastery.services.mastery_apply_answer"),
    ("rag.tasks.answer_feedback", "rag.feedback.services.answer_feedback_generate"),
    ("sessions.tasks.answer_finalize", "sessions.scoring.answer_finalize"),
])
def test_a_step_past_its_retries_ends_the_answer_failed_with_a_reason(
        task_name, service, candidate, answer_factory, monkeypatch) -> None:  # noqa: ANN001
    from celery import current_app

    answer = answer_factory(user=candidate, input_mode="text", transcript="Indexes speed reads.", status="processing",
                            content_score=70.0)
    monkeypatch.setattr(service, _failing)
    result = current_app.tasks[task_name].apply(args=[answer.pk])
    assert result.failed()
    answer.refresh_from_db()
    step = current_app.tasks[task_name].step
    assert answer.status == "failed" and answer.error == f"{step} failed: RuntimeError: disk on fire"


def test_missing_audio_fails_transcription_at_once(candidate, answer_factory) -> None:  # noqa: ANN001
    """A real fault: bytes on record, the file gone, no transcript. No retry can bring it back."""
    answer = answer_factory(user=candidate, input_mode="voice", status="processing", audio_bytes=64000,
                            transcript="", transcript_engine="", content_score=None)
    from celery import current_app

    result = current_app.tasks["audio.tasks.answer_transcribe"].apply(args=[answer.pk])
    assert result.failed()
    answer.refresh_from_db()
    assert answer.status == "failed" and answer.error.startswith("transcription failed: AudioMissingError")


def test_a_scored_answer_is_not_undone_by_a_late_failure(candidate, answer_factory) -> None:  # noqa: ANN001
    from pipeline.payloads import StepFailure
    from pipeline.steps import step_failure_report

    answer = answer_factory(user=candidate, input_mode="text", transcript="Done.", content_score=80.0)
    step_failure_report(StepFailure(answer_id=answer.pk, step="feedback", error="RuntimeError: late"))
    answer.refresh_from_db()
    assert answer.status == "scored" and answer.error == ""


@pytest.mark.django_db(transaction=True)
def test_the_chain_in_embedded_mode_ends_failed_when_mastery_gives_up(bank, candidate, answer_factory,  # noqa: ANN001
                                                                      monkeypatch) -> None:  # noqa: ANN001
    """The whole chain, run by the in-process pool: mastery failing past its retries ends the answer `failed`."""
    from pipeline.tasking import embedded_wait

    answer = answer_factory(user=candidate, input_mode="text", transcript="Indexes speed up reads.",
                            status="processing", content_score=70.0)
    monkeypatch.setattr("mastery.services.mastery_apply_answer", _failing)
    pipeline_chain.answer_pipeline_enqueue(answer_id=answer.pk)
    assert embedded_wait(120)
    answer.refresh_from_db()
    assert answer.status == "failed" and answer.error == "mastery failed: RuntimeError: disk on fire"
    assert answer.feedback  # the steps before mastery ran


def test_the_answer_page_shows_the_reason_and_the_retry_works(candidate_client, candidate, answer_factory,  # noqa: ANN001
                                                             pipeline_calls) -> None:  # noqa: ANN001
    answer = answer_factory(user=candidate, input_mode="text", transcript="Indexes.", status="failed",
                            error="mastery failed: RuntimeError: disk on fire", content_score=None)
    page = candidate_client.get(reverse("interviews:answer", args=[answer.pk]))
    assert b"mastery failed: RuntimeError: disk on fire" in page.content
    assert reverse("interviews:answer_retry", args=[answer.pk]).encode() in page.content
    response = candidate_client.post(reverse("interviews:answer_retry", args=[answer.pk]))
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.status == "processing" and answer.error == "" and pipeline_calls == [answer.pk]


@pytest.mark.django_db(transaction=True)
def test_two_reports_finishing_together_in_embedded_mode_both_complete(bank, candidate, answer_factory,  # noqa: ANN001
                                                                       settings) -> None:  # noqa: ANN001
    """Both reports start while their answers are still in the pipeline. With two task threads, a report that
    slept in its thread would hold it; each must re-queue itself so the answers' last steps get a thread."""
    from celery import signature

    from pipeline.tasking import embedded_wait, task_enqueue
    from sessions.models import InterviewSession, Report, ReportStatus, SessionStatus

    assert settings.EMBEDDED_TASK_WORKERS == 2
    answers = []
    for _ in range(2):
        now = timezone.now()
        session = InterviewSession.objects.create(owner=candidate, status=SessionStatus.COMPLETED, started_at=now,
                                                  finished_at=now)
        Report.objects.create(session=session, status=ReportStatus.PENDING)
        answers.append(answer_factory(user=candidate, session=session, input_mode="text", status="processing",
                                      transcript="Indexes speed up reads.", content_score=75.0))
    for answer in answers:
        pipeline_chain.report_build_enqueue(session_id=answer.question.session_id)
    time.sleep(0.5)  # both reports have found their answer still processing
    assert ReportStatus.READY not in set(Report.objects.values_list("status", flat=True))
    started = time.monotonic()
    for answer in answers:  # the answers' last step arrives after the reports: it needs a free thread
        task_enqueue(signature("sessions.tasks.answer_finalize", args=(answer.pk,), immutable=True))
    assert embedded_wait(60)
    assert time.monotonic() - started < 30
    assert sorted(Report.objects.values_list("status", flat=True)) == [ReportStatus.READY, ReportStatus.READY]


def test_measures_read_what_the_analyzer_writes_under_one_name() -> None:
    """The signal the analyzer writes is read whole; an old alias key is not a second name for a measurement."""
    import numpy as np

    from audio.dsp.files import analyze_pcm
    from pipeline.measures import measures_read

    rate = 16000
    t = np.arange(int(2.5 * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * (140 + 20 * np.sin(2 * np.pi * 0.8 * t)) * t)  # a gliding voice-like tone
    signal = analyze_pcm((tone * 32767).astype("<i2").tobytes())
    m = measures_read(signal=signal, delivery={"wpm": 130.0, "fillers_per_minute": 1.0}, voice=True, word_count=5)
    for name in ("pitch_std_st", "loudness_std_db", "voiced_fraction", "pause_total_s", "duration_s"):
        assert getattr(m, name) is not None, name
    assert m.wpm == 130.0 and m.fillers_per_min == 1.0
    aliases = measures_read(signal={"pitch_stdev_st": 3.0, "voiced_ratio": 0.7, "loudness_dbfs_stdev": 5.0},
                            delivery={"fillers_per_min": 2.0}, voice=True, word_count=5)
    assert (aliases.pitch_std_st, aliases.voiced_fraction, aliases.loudness_std_db) == (None, None, None)
