"""Report synthesis on crafted sessions, the report and answer pages, status JSON and PDF, ownership."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse
from django.utils import timezone

from rag.feedback.services import answer_feedback_generate
from sessions.models import AnswerStatus, InterviewSession, Report, ReportStatus, SessionStatus
from sessions.notify import session_group
from sessions.reporting import ReportNotReady, report_build, report_mark_failed

pytestmark = pytest.mark.django_db

KEY_POINTS = ("B-tree structure", "avoids a full scan", "slower writes")
LONG_ANSWER = ("An index is a B-tree that the database keeps next to the table. First, it lets a query jump to the "
               "matching rows, because the tree is sorted by the key, so it avoids a full scan of the table. For "
               "example, our reporting query filtered on the customer id and went from seconds to milliseconds once "
               "that column was indexed. However, every insert and update must maintain the tree as well.")


def signal(**overrides: object) -> dict:
    base = dict(duration_s=40.0, speaking_time_s=34.0, pause_count=4, long_pause_count=0, longest_pause_s=1.0,
                pause_total_s=3.0, pitch_median_hz=140.0, pitch_std_st=3.0, pitch_range_st=8.0, monotone=False,
                loudness_mean_dbfs=-22.0, loudness_std_db=5.0, jitter_local=0.006, shimmer_local=0.03,
                clipping_fraction=0.0, silence_fraction=0.15, voiced_fraction=0.7,
                pauses=[{"start": 12.0, "end": 13.0, "duration": 1.0}])
    return base | overrides


def contour(seconds: int = 40) -> dict:
    t = [i * 0.1 for i in range(seconds * 10)]
    return {"t": t, "pitch_hz": [None if i % 25 < 3 else 120 + (i % 40) for i in range(len(t))],
            "dbfs": [-25 + (i % 10) for i in range(len(t))]}


@pytest.fixture(autouse=True)
def _offline(settings) -> None:  # noqa: ANN001
    settings.GEMINI_API_KEY = ""


def spoken(factory, user, session, *, wpm: float, fillers: int, content: float, kind: str = "technical",  # noqa: ANN001, ANN201
           text: str = LONG_ANSWER, pitch: float = 3.0,
           missed: tuple[str, ...] = (), subtopic: str = "general", **extra: object):
    answer = factory(
        user=user, session=session, kind=kind, subtopic=subtopic, transcript=text, input_mode="voice",
        signal=signal(pitch_std_st=pitch), contour=contour(), duration_s=40.0, speaking_time_s=34.0,
        transcript_confidence=0.9, content_score=content, key_points=KEY_POINTS,
        reference_answer="An index is a B-tree. It avoids a full scan. Writes get slower.",
        delivery={"wpm": wpm, "fillers": [{"kind": "filler", "text": "um", "start": 2.0 + i} for i in range(fillers)],
                  "filler_count": fillers, "fillers_per_minute": fillers * 1.5, "hedges": [],
                  "pauses": [{"start": 12.0, "end": 13.0, "duration_s": 1.0, "word_before": "table"}]},
        key_points_covered=[{"point": p, "sentence": "An index is a B-tree."} for p in KEY_POINTS if p not in missed],
        key_points_missed=[{"point": p} for p in missed], **extra)
    return answer_feedback_generate(answer_id=answer.pk)


@pytest.fixture
def interview(candidate, answer_factory):  # noqa: ANN001, ANN201
    """Three spoken answers (the pace settles, fillers fall) and one typed one."""
    now = timezone.now()
    session = InterviewSession.objects.create(owner=candidate, status=SessionStatus.COMPLETED, started_at=now,
                                              finished_at=now)
    spoken(answer_factory, candidate, session, wpm=190, fillers=8, content=45, missed=("slower writes",),
           subtopic="indexes")
    spoken(answer_factory, candidate, session, wpm=170, fillers=4, content=72, pitch=1.2)
    spoken(answer_factory, candidate, session, wpm=150, fillers=1, content=88)
    typed = answer_factory(user=candidate, session=session, input_mode="text", content_score=64.0,
                           transcript="Normalisation removes duplication so each fact is stored once.")
    answer_feedback_generate(answer_id=typed.pk)
    return session


def test_report_synthesis_builds_a_complete_report(interview) -> None:  # noqa: ANN001
    report = report_build(session_id=interview.pk)
    assert report.status == ReportStatus.READY and report.progress == 100 and report.engine == "offline"
    data = report.data
    assert data["counts"] == {"questions": 4, "answered": 4, "skipped": 0, "follow_ups": 0, "spoken": 3}
    assert report.content_score == pytest.approx((45 + 72 + 88 + 64) / 4, abs=0.1)
    delivery_scores = [q["delivery"] for q in data["questions"] if q["delivery"] is not None]
    assert len(delivery_scores) == 3  # the typed answer has no delivery
    assert report.delivery_score == pytest.approx(sum(delivery_scores) / 3, abs=0.1)
    assert report.confidence_score is not None
    assert [q["position"] for q in data["questions"]] == [1, 2, 3, 4]
    assert data["questions"][0]["wpm"] == 190 and data["questions"][0]["missed"] == ["slower writes"]
    assert 1 <= len(data["improvements"]) <= 3 and 1 <= len(data["strengths"]) <= 3
    top = data["improvements"][0]
    assert top["category"] in ("pace", "fillers") and top["count"] >= 2
    assert any("Pace went from 190.0 wpm in Q1 to 150.0 wpm in Q3 into the target band" in n
               for n in data["delivery_trend"]["notes"])
    pace_band = next(b for b in data["bands"] if b["key"] == "wpm")
    assert pace_band["value"] == pytest.approx(170.0) and pace_band["ok"] is False
    study = data["study_next"]
    assert study[0]["subtopic"] == "Indexes" and "slower writes" in study[0]["reason"]
    assert any(s["kind"] == "delivery" for s in study)
    assert data["trends"]["previous"] == []


def test_report_is_idempotent(interview) -> None:  # noqa: ANN001
    first = report_build(session_id=interview.pk).data
    second = report_build(session_id=interview.pk).data
    assert first == second
    assert Report.objects.filter(session=interview).count() == 1


def test_report_uses_the_latest_scored_attempt(candidate, answer_factory) -> None:  # noqa: ANN001
    first = answer_factory(user=candidate, input_mode="text", transcript="Short.", content_score=20.0)
    answer_feedback_generate(answer_id=first.pk)
    from sessions.models import Answer

    retry = Answer.objects.create(question=first.question, user=candidate, attempt=2, input_mode="text",
                                  transcript="A much better and longer answer.", content_score=80.0,
                                  status=AnswerStatus.SCORED)
    failed = Answer.objects.create(question=first.question, user=candidate, attempt=3, input_mode="text",
                                   transcript="x", status=AnswerStatus.FAILED)
    data = report_build(session_id=first.question.session_id).data
    row = data["questions"][0]
    assert row["answer_id"] == retry.pk != failed.pk and row["attempts"] == 3 and row["content"] == 80.0


def test_not_ready_while_an_answer_is_processing(interview, candidate, answer_factory) -> None:  # noqa: ANN001
    pending = answer_factory(user=candidate, session=interview, input_mode="text", transcript="Pending.",
                             status=AnswerStatus.PROCESSING)
    with pytest.raises(ReportNotReady):
        report_build(session_id=interview.pk)
    # Stuck for longer than the stale limit: left out and named instead of blocking the report forever.
    type(pending).objects.filter(pk=pending.pk).update(ended_at=timezone.now() - timedelta(hours=1))
    report = report_build(session_id=interview.pk)
    assert report.data["stale_answers"] == [pending.pk]
    assert report.data["counts"]["answered"] == 4


def test_trends_compare_with_the_previous_interview(interview, candidate, answer_factory) -> None:  # noqa: ANN001
    report_build(session_id=interview.pk)
    later = InterviewSession.objects.create(owner=candidate, status=SessionStatus.COMPLETED,
                                            started_at=timezone.now(), finished_at=timezone.now())
    InterviewSession.objects.filter(pk=later.pk).update(created_at=interview.created_at + timedelta(days=1))
    later.refresh_from_db()
    spoken(answer_factory, candidate, later, wpm=140, fillers=0, content=95)
    data = report_build(session_id=later.pk).data
    previous = data["trends"]["previous"]
    assert [p["session_id"] for p in previous] == [interview.pk]
    assert data["trends"]["deltas"]["content"] == pytest.approx(95 - previous[0]["content"], abs=0.1)
    assert data["trends"]["notes"][0].startswith("Content up")


def test_report_ready_is_pushed(interview) -> None:  # noqa: ANN001
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(session_group(interview.pk), channel)
    report_build(session_id=interview.pk)
    message = async_to_sync(layer.receive)(channel)
    assert message["event"]["type"] == "report.ready" and message["event"]["session_id"] == interview.pk


def test_mark_failed(interview) -> None:  # noqa: ANN001
    Report.objects.create(session=interview)
    report = report_mark_failed(session_id=interview.pk, error=RuntimeError("boom"))
    assert report.status == ReportStatus.FAILED and report.error == "RuntimeError: boom"


# --- pages -----------------------------------------------------------------------------------------------------

def test_report_page_status_and_pdf_for_the_owner(client, candidate, interview) -> None:  # noqa: ANN001
    report_build(session_id=interview.pk)
    client.force_login(candidate)
    page = client.get(reverse("interviews:report", args=[interview.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-score="content"' in html and "<svg" in html and "Pace per question" in html
    assert "What to study next" in html and "style=" not in html.split("<main", 1)[1]  # CSP: no inline styles
    status = client.get(reverse("interviews:report_status", args=[interview.pk])).json()
    assert status["status"] == "ready" and status["content_score"] == pytest.approx(67.2, abs=0.1)
    pdf = client.get(reverse("interviews:report_pdf", args=[interview.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000


def test_report_pages_refuse_another_user(client, other_candidate, interview) -> None:  # noqa: ANN001
    report_build(session_id=interview.pk)
    client.force_login(other_candidate)
    for name in ("report", "report_status", "report_pdf"):
        assert client.get(reverse(f"interviews:{name}", args=[interview.pk])).status_code == 404


def test_pending_report_page_polls_and_pdf_waits(client, candidate, interview) -> None:  # noqa: ANN001
    client.force_login(candidate)
    page = client.get(reverse("interviews:report", args=[interview.pk]))
    assert page.status_code == 200 and b"data-poll-url" in page.content and b"status-poll.js" in page.content
    assert Report.objects.get(session=interview).status == ReportStatus.PENDING  # requested on first view
    assert client.get(reverse("interviews:report_pdf", args=[interview.pk])).status_code == 404
    assert client.get(reverse("interviews:report_status", args=[interview.pk])).json()["status"] == "pending"


def test_open_interview_report_redirects_to_the_room(client, candidate) -> None:  # noqa: ANN001
    session = InterviewSession.objects.create(owner=candidate, started_at=timezone.now())
    client.force_login(candidate)
    response = client.get(reverse("interviews:report", args=[session.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("interviews:room", args=[session.pk])


def test_answer_page_renders_feedback_charts_and_attempts(client, candidate, interview) -> None:  # noqa: ANN001
    from sessions.models import Answer

    first = Answer.objects.filter(question__session=interview).order_by("question__position").first()
    # A second attempt at the first question: pace fixed, fillers gone, every key point covered.
    retry = Answer.objects.create(
        question=first.question, user=candidate, attempt=2, input_mode="voice", transcript=first.transcript,
        signal=first.signal, contour=first.contour, duration_s=40.0, speaking_time_s=34.0, transcript_confidence=0.9,
        content_score=80.0, delivery={**first.delivery, "wpm": 150.0, "fillers": [], "filler_count": 0,
                                      "fillers_per_minute": 0.0},
        key_points_covered=[{"point": p} for p in KEY_POINTS], key_points_missed=[], status=AnswerStatus.SCORED)
    answer_feedback_generate(answer_id=retry.pk)
    client.force_login(candidate)
    page = client.get(reverse("interviews:answer", args=[retry.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pitch over time" in html and "Loudness over time" in html and "<polyline" in html
    assert "Delivery against the target bands" in html
    assert "Content up 35 (45 → 80)." in html
    assert "Pace: 190.0 → 150.0 wpm (now inside the target)." in html
    assert "Newly covered: slower writes." in html
    typed = Answer.objects.get(question__session=interview, input_mode="text")
    typed_page = client.get(reverse("interviews:answer", args=[typed.pk])).content.decode()
    assert "Pitch over time" not in typed_page and "data-withheld" in typed_page


def test_answer_page_refuses_another_user(client, other_candidate, interview) -> None:  # noqa: ANN001
    from sessions.models import Answer

    answer = Answer.objects.filter(question__session=interview).first()
    client.force_login(other_candidate)
    assert client.get(reverse("interviews:answer", args=[answer.pk])).status_code == 404


def test_processing_answer_page_polls(client, candidate, answer_factory) -> None:  # noqa: ANN001
    answer = answer_factory(user=candidate, status=AnswerStatus.PROCESSING, transcript="")
    client.force_login(candidate)
    html = client.get(reverse("interviews:answer", args=[answer.pk])).content.decode()
    assert "data-poll-url" in html and reverse("interviews:answer_status", args=[answer.pk]) in html


def test_report_of_an_interview_with_nothing_answered(client, candidate, answer_factory) -> None:  # noqa: ANN001
    from sessions.models import QuestionStatus

    answer = answer_factory(user=candidate, input_mode="text", transcript="x", status=AnswerStatus.FAILED)
    answer.question.status = QuestionStatus.SKIPPED
    answer.question.save()
    report = report_build(session_id=answer.question.session_id)
    assert report.status == ReportStatus.READY
    assert report.data["counts"]["answered"] == 0 and report.data["counts"]["skipped"] == 1
    assert report.content_score is None and report.data["strengths"] == [] and report.data["study_next"] == []
    client.force_login(candidate)
    page = client.get(reverse("interviews:report", args=[answer.question.session_id]))
    assert page.status_code == 200 and b"No answered questions yet." in page.content
    assert client.get(reverse("interviews:report_pdf", args=[answer.question.session_id])).status_code == 200


def test_report_task_gives_up_waiting_with_a_message(interview, candidate, answer_factory, monkeypatch) -> None:  # noqa: ANN001
    """An answer stuck in the pipeline past every wait: the report is marked failed with a reason, not left pending."""
    from sessions import tasks
    from sessions.models import ReportStatus

    answer_factory(user=candidate, session=interview, input_mode="text", transcript="Pending.", status="processing",
                   content_score=None)
    monkeypatch.setattr(tasks, "REPORT_WAIT_RETRIES", 0)
    result = tasks.report_build.apply(args=[interview.pk])
    assert result.failed() and isinstance(result.result, ReportNotReady)
    report = interview.report
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "still being processed" in report.error


def test_a_ready_report_queues_the_study_plan_rewrite(interview, monkeypatch,  # noqa: ANN001
                                                      django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    submitted: list = []
    monkeypatch.setattr("pipeline.tasking._submit", lambda sig, *_args: submitted.append(sig))
    with django_capture_on_commit_callbacks(execute=True):
        report_build(session_id=interview.pk)
    assert [s.task for s in submitted] == ["mastery.tasks.study_plan_generate"]
    assert submitted[0].args == (interview.owner_id, interview.pk)
