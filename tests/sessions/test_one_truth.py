"""One truth for every number: one candidate's interviews, their figures computed once, and every page, the API,
the PDF, progress, the cohort dashboard and assignment status showing the same ones.

The interviews are built to trip each way the pages used to disagree: a follow-up (the question count grows past
the planned count), a re-answer whose later attempt scores lower (the latest scored attempt counts, not both), a
failed attempt (never counted), a question never asked in a finished assignment interview (not "done"), and an
Indexing answer at 58 after an Indexing answer at 30 (what to study next quotes the latest score).
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from pypdf import PdfReader

from pipeline.figures import Figures

pytestmark = pytest.mark.django_db

SIGNAL = dict(duration_s=40.0, speaking_time_s=34.0, pause_count=3, long_pause_count=0, longest_pause_s=1.0,
              pause_total_s=3.0, pitch_median_hz=140.0, pitch_std_st=3.0, pitch_range_st=8.0, monotone=False,
              loudness_mean_dbfs=-22.0, loudness_std_db=5.0, clipping_fraction=0.0, silence_fraction=0.15,
              voiced_fraction=0.7)
TEXT = ("An index is a sorted structure kept next to the table so a query can jump to matching rows instead of "
        "scanning everything, at the cost of slower writes.")


@pytest.fixture(autouse=True)
def _offline(settings) -> None:  # noqa: ANN001
    settings.GEMINI_API_KEY = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # DRF throttles count in the cache


def _answer(question, user, *, attempt: int = 1, content: float, wpm: float | None = None,  # noqa: ANN001, ANN202
            delivery_score: float | None = None, status: str = "scored"):
    from sessions.models import Answer

    voice = wpm is not None
    return Answer.objects.create(
        question=question, user=user, attempt=attempt, input_mode="voice" if voice else "text", status=status,
        transcript=TEXT, content_score=content, delivery_score=delivery_score if voice else None,
        scored_at=timezone.now() if status == "scored" else None, transcript_confidence=0.9 if voice else None,
        signal=SIGNAL if voice else {}, duration_s=40.0 if voice else None, speaking_time_s=34.0 if voice else None,
        delivery={"wpm": wpm, "pace_span_s": 36.0, "fillers": [], "filler_count": 0, "fillers_per_minute": 0.0,
                  "hedges": [], "pauses": []} if voice else {},
        key_points_missed=[{"point": "slower writes"}] if content < 70 else [])


def _question(session, position: int, subtopic, *, status: str = "answered", parent=None):  # noqa: ANN001, ANN202
    from sessions.models import SessionQuestion

    return SessionQuestion.objects.create(
        session=session, position=position, text=f"Question {position} on {subtopic.name}?", topic=subtopic.topic,
        subtopic=subtopic, status=status, source="follow_up" if parent else "bank", parent=parent,
        key_points=["slower writes"])


@pytest.fixture
def scene(candidate, instructor):  # noqa: ANN001, ANN201
    from accounts import services as accounts_services
    from mastery.models import Subtopic, Topic
    from sessions.models import InterviewSession
    from sessions.reporting import report_build
    from sessions.services import assignment_create

    topic = Topic.objects.create(slug="truth-databases", name="Truth databases", kind="technical")
    indexing = Subtopic.objects.create(topic=topic, slug="indexing", name="Indexing")
    joins = Subtopic.objects.create(topic=topic, slug="joins", name="Joins")
    cohort = accounts_services.cohort_create(owner=instructor, name="Truth cohort")
    accounts_services.cohort_join(user=candidate, invite_code=cohort.invite_code)
    drill = assignment_create(cohort=cohort, created_by=instructor, title="Drill one", question_count=2)
    unfinished = assignment_create(cohort=cohort, created_by=instructor, title="Drill two", question_count=2)
    now = timezone.now()

    # A: the assignment done in full. Two planned questions and a follow-up; a failed re-answer that never counts.
    a = InterviewSession.objects.create(owner=candidate, planned_count=2, status="completed", started_at=now,
                                        finished_at=now, assignment=drill)
    q1 = _question(a, 1, indexing)
    _answer(q1, candidate, content=30, wpm=190, delivery_score=60)
    _answer(_question(a, 2, indexing, parent=q1), candidate, content=58, wpm=140, delivery_score=80)
    q3 = _question(a, 3, joins)
    _answer(q3, candidate, content=80)
    _answer(q3, candidate, attempt=2, content=10, status="failed")

    # B: the second assignment, finished with a question never asked. Its one question was answered twice: the
    # later, lower attempt is the one that counts.
    b = InterviewSession.objects.create(owner=candidate, planned_count=2, status="completed", started_at=now,
                                        finished_at=now, assignment=unfinished)
    q = _question(b, 1, joins)
    _answer(q, candidate, content=90, wpm=150, delivery_score=90)
    _answer(q, candidate, attempt=2, content=40, wpm=120, delivery_score=70)
    _question(b, 2, indexing, status="pending")

    for session in (a, b):
        report_build(session_id=session.pk)
    return {"a": a, "b": b, "cohort": cohort, "drill": drill, "unfinished": unfinished}


def _row(html: str, needle: str) -> str:
    """The table row of `html` that contains `needle`."""
    rows = [r for r in re.split(r"<tr[ >]", html) if needle in r]
    assert len(rows) == 1, f"{len(rows)} rows contain {needle!r}"
    return " ".join(rows[0].split())


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_every_page_shows_the_figures_computed_once(scene, candidate, instructor, client) -> None:  # noqa: ANN001, PLR0915
    from sessions.selectors import session_figures

    a, b = scene["a"], scene["b"]
    figures = {s.pk: session_figures(session=s) for s in (a, b)}
    # The definitions themselves (pipeline/figures.py), on numbers worked out by hand.
    fa, fb = figures[a.pk], figures[b.pk]
    assert (fa.answered, fa.questions, fa.follow_ups, fa.content, fa.pace_wpm, fa.delivery) == (
        3, 3, 1, 56.0, 165.0, 70.0)
    assert (fb.answered, fb.questions, fb.follow_ups, fb.content, fb.pace_wpm, fb.delivery) == (
        1, 2, 0, 40.0, 120.0, 70.0)
    assert fa.complete and not fb.complete

    client.force_login(candidate)

    # History.
    history = client.get("/interviews/").content.decode()
    for s, f, shown in ((a, fa, "3 / 3"), (b, fb, "1 / 2")):
        row = _row(history, f'href="/interviews/{s.pk}/report/"')
        assert shown in row and f">{f.content:.0f}<" in row and f"{f.pace_wpm:.0f} wpm" in row, row

    # The report page and its PDF, both from Report.data.
    for s, f in ((a, fa), (b, fb)):
        page = _text(client.get(f"/interviews/{s.pk}/report/").content.decode())
        assert f"{f.answered} of {f.questions} questions answered" in page
        assert f"Content {f.content:.0f} " in page and f"Mean pace {f.pace_wpm:.0f} wpm" in page, page[:600]
        pdf = client.get(f"/interviews/{s.pk}/report.pdf")
        assert pdf.status_code == 200
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
        assert f"{f.answered} of {f.questions} questions answered" in text
        assert f"Mean pace {f.pace_wpm:.0f} wpm" in text
        assert re.search(rf"Content Delivery Structure Confidence {f.content:.0f} {f.delivery:.0f} ", text), text[:300]

    # What to study next quotes the latest Indexing score (58), not the earlier 30.
    study = a.report.__class__.objects.get(session=a).data["study_next"]
    indexing = next(item for item in study if item["subtopic"] == "Indexing")
    assert "latest content 58/100" in indexing["reason"]
    assert "latest content 58/100" in _text(client.get(f"/interviews/{a.pk}/report/").content.decode())

    # Progress.
    progress = client.get("/mastery/progress/")
    rows = {r["session"].pk: r for r in progress.context["rows"]}
    assert rows[a.pk]["figures"] == fa and rows[b.pk]["figures"] == fb
    assert rows[a.pk]["metrics"]["wpm"] == fa.pace_wpm and rows[b.pk]["metrics"]["wpm"] == fb.pace_wpm
    html = progress.content.decode()
    for s, f in ((a, fa), (b, fb)):
        row = _row(html, f'href="/interviews/{s.pk}/report/"')
        assert f"{f.answered} / {f.questions}" in row and f">{f.content:.0f}<" in row
        assert f">{f.pace_wpm}" in row, row

    # The API: list, detail and report.
    listed = {i["id"]: i["figures"] for i in client.get("/api/v1/interviews/").json()["results"]}
    for s, f in ((a, fa), (b, fb)):
        detail = client.get(f"/api/v1/interviews/{s.pk}/").json()["figures"]
        for shown in (listed[s.pk], detail):
            assert (shown["answered"], shown["questions"], shown["content"], shown["pace_wpm"]) == (
                f.answered, f.questions, f.content, f.pace_wpm)
        report = client.get(f"/api/v1/interviews/{s.pk}/report/").json()
        assert report["data"]["counts"]["answered"] == f.answered and report["content_score"] == f.content
        assert report["data"]["pace_wpm"] == f.pace_wpm

    # The candidate's dashboard: the drill is done, the interview with an unasked question does not complete one.
    done = {item["assignment"].pk: item["done"] for item in client.get("/dashboard/").context["assignments"]}
    assert done == {scene["drill"].pk: True, scene["unfinished"].pk: False}

    # The instructor: cohort dashboard (page and API), the member's page and report, assignment status.
    client.force_login(instructor)
    cohort = scene["cohort"]
    both = Figures(content=52.0, delivery=70.0, answered=4)  # (30 + 58 + 80 + 40) / 4; pace (190 + 140 + 120) / 3
    dashboard = client.get(f"/api/v1/cohorts/{cohort.pk}/").json()
    assert dashboard["averages"] == {"content": both.content, "delivery": both.delivery, "pace_wpm": 150.0,
                                     "answers": both.answered}
    member = dashboard["members"][0]
    assert (member["avg_content"], member["answers"]) == (both.content, both.answered)
    assert {p["session_id"]: (p["content"], p["answered"]) for p in member["progress"]} == {
        a.pk: (fa.content, fa.answered), b.pk: (fb.content, fb.answered)}
    status = {row["assignment"]["title"]: row["done"] for row in dashboard["assignments"]}
    assert status == {"Drill one": [candidate.email], "Drill two": []}
    weakest = {w["subtopic"]: w["avg_content"] for w in dashboard["weakest"]}
    assert weakest == {"Indexing": 44.0, "Joins": 60.0}  # (30 + 58) / 2 and (80 + 40) / 2
    page = _text(client.get(f"/cohorts/{cohort.pk}/").content.decode())
    assert "Drill one" in page and "1 / 1 done" in page and "0 / 1 done" in page
    assert f"Content {both.content:.0f} " in page

    member_api = client.get(f"/api/v1/cohorts/{cohort.pk}/members/{candidate.pk}/").json()
    assert {s["id"]: (s["answered"], s["questions"], s["avg_content"]) for s in member_api["sessions"]} == {
        a.pk: (fa.answered, fa.questions, fa.content), b.pk: (fb.answered, fb.questions, fb.content)}
    member_page = client.get(f"/cohorts/{cohort.pk}/members/{candidate.pk}/").content.decode()
    for s, f in ((a, fa), (b, fb)):
        row = _row(member_page, f"/interviews/{s.pk}/\"")
        assert f"{f.answered} / {f.questions}" in row and f">{f.content:.0f}<" in row, row
    # The interview that left Drill two undone shows why.
    report_b = client.get(f"/cohorts/{cohort.pk}/members/{candidate.pk}/interviews/{b.pk}/").content.decode()
    assert "Not asked yet" in report_b


def test_the_transcript_marks_fillers_hedges_and_long_pauses(candidate, client) -> None:  # noqa: ANN001
    from sessions.feedback_view import transcript_marks

    words = [{"text": t, "start": s, "end": s + 0.3} for t, s in (
        ("Um,", 0.0), ("I", 0.5), ("like", 0.8), ("Python.", 1.1), ("I", 4.0), ("think", 4.3), ("it", 4.6),
        ("works.", 4.9))]
    delivery = {"fillers": [{"kind": "filler", "text": "um", "start": 0.0, "end": 0.3, "index": 0, "length": 1}],
                "hedges": [{"kind": "hedge", "text": "i think", "start": 4.0, "end": 4.6, "index": 4, "length": 2}],
                "pauses": [{"start": 1.4, "end": 4.0, "word_index_after": 4},      # long: marked before "I"
                           {"start": 0.3, "end": 0.5, "word_index_after": 1}]}     # short: not marked
    marks = transcript_marks(words=words, delivery=delivery)
    assert [(m["kind"], m["text"]) for m in marks] == [
        ("filler", "Um,"), ("word", "I"), ("word", "like"), ("word", "Python."), ("pause", "2.6 s pause"),
        ("hedge", "I"), ("hedge", "think"), ("word", "it"), ("word", "works.")]  # "like" is content here
    # Answers stored before the word index: placed by time, the same marks.
    legacy = {"fillers": [{"text": "um", "start": 0.0}], "hedges": [{"text": "i think", "start": 4.0, "length": 2}],
              "pauses": [{"start": 1.4, "end": 4.0}]}
    assert transcript_marks(words=words, delivery=legacy) == marks
    # Nothing timed, nothing marked: the page falls back to the plain transcript.
    assert transcript_marks(words=[], delivery=delivery) == []

    question = _question(_session(candidate), 1, _subtopic())
    answer = _answer(question, candidate, content=75, wpm=140)
    type(answer).objects.filter(pk=answer.pk).update(words=words, delivery={**answer.delivery, **delivery})
    client.force_login(candidate)
    page = client.get(f"/interviews/answers/{answer.pk}/").content.decode()
    assert re.search(r'<mark class="mark-filler[^"]*" title="filler word"[^>]*>Um,</mark>', page)
    assert re.search(r'<mark class="mark-hedge[^"]*" title="hedge"[^>]*>think</mark>', page)
    assert not re.search(r"<mark[^>]*>like</mark>", page)
    assert "[2.6 s pause]" in page


def _session(owner):  # noqa: ANN001, ANN202
    from sessions.models import InterviewSession

    now = timezone.now()
    return InterviewSession.objects.create(owner=owner, status="completed", started_at=now, finished_at=now)


def _subtopic():  # noqa: ANN202
    from mastery.models import Subtopic, Topic

    topic = Topic.objects.create(slug="truth-marks", name="Truth marks", kind="technical")
    return Subtopic.objects.create(topic=topic, slug="general", name="General")


def test_an_answer_rescored_after_the_report_rebuilds_it(candidate, monkeypatch,  # noqa: ANN001
                                                         django_capture_on_commit_callbacks) -> None:
    from sessions.models import Report
    from sessions.scoring import answer_finalize

    queued: list[int] = []
    monkeypatch.setattr("pipeline.chain.report_build_enqueue", lambda *, session_id, **_: queued.append(session_id))
    session = _session(candidate)
    answer = _answer(_question(session, 1, _subtopic()), candidate, content=75)
    with django_capture_on_commit_callbacks(execute=True):
        answer_finalize(answer_id=answer.pk)
    assert queued == []  # no report yet: the one interview_finish queued waits for the answers by itself
    Report.objects.create(session=session, status="ready")
    with django_capture_on_commit_callbacks(execute=True):
        answer_finalize(answer_id=answer.pk)  # a retry once the report exists
    assert queued == [session.pk]


@pytest.mark.parametrize("wpm", [95.0, 119.9, 120.0, 141.0, 160.0, 160.1, 230.0])
def test_the_final_pace_advice_is_the_live_nudges(wpm: float) -> None:
    """The coach judges the stored `delivery.wpm` against the band the live `metrics` event's `pace_advice` uses:
    for any pace, the two never disagree (the live figure is the same one, so far)."""
    from audio.transcription.speech_metrics import pace_advice
    from rag.feedback.coach import coach_feedback
    from tests.rag.test_feedback_coach import GOOD, delivery, make

    feedback = coach_feedback(make(GOOD, deliv=delivery(GOOD) | {"wpm": wpm, "pace_span_s": 40.0}))
    pace = [p for p in feedback.strengths + feedback.improvements if p.category == "pace"]
    assert len(pace) == 1, [p.title for p in feedback.strengths + feedback.improvements]
    title = pace[0].title
    final = ("ok" if title.startswith("Comfortable pace") else "slow_down" if title.startswith("Slow down")
             else "speed_up" if title.startswith("Pick up the pace") else title)
    assert final == pace_advice(wpm)
    assert f"{wpm:.0f} wpm" in title and "from your first word to your last" in pace[0].evidence[0].text
