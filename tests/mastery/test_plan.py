"""The study plan from crafted histories: the right weak subtopics, delivery drills from the candidate's own
numbers, spaced reviews, due dates, mark done, regeneration; and which subtopics the next interview asks about."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mastery import selectors, services
from mastery.models import StudyPlan, SubtopicMastery
from mastery.tasks import study_plan_generate as plan_task
from tests.mastery.conftest import spoken

pytestmark = pytest.mark.django_db


def _items(plan):  # noqa: ANN001, ANN202
    return list(plan.items.select_related("subtopic").order_by("position"))


def test_weak_subtopics_get_study_and_practice_items_weakest_first(history, candidate, catalogue):
    for _ in range(3):
        history.answer(catalogue["sorting"], 92)
    history.answer(catalogue["graphs"], 15, missed=["Dijkstra needs non-negative weights", "Use a min-heap"])
    history.answer(catalogue["graphs"], 25, missed=["Use a min-heap"])
    history.answer(catalogue["conflict"], 45)
    plan = services.study_plan_generate(user=candidate, source_session=history.session)
    items = _items(plan)
    study = [i for i in items if i.kind == "study"]
    practice = [i for i in items if i.kind == "practice"]
    assert [i.subtopic.slug for i in study] == ["graphs", "conflict"]  # the strong one is not studied
    assert [i.subtopic.slug for i in practice] == ["graphs", "conflict"]
    graphs_study = study[0]
    assert "Dijkstra needs non-negative weights" in graphs_study.detail and graphs_study.detail.count("min-heap") == 1
    assert graphs_study.priority == 1 and items[0] == graphs_study
    assert practice[0].question_count == 3 and practice[1].question_count == 2  # weaker -> more questions
    assert all(i.due_date is not None and i.due_date >= timezone.localdate() for i in items)
    assert "Graphs" in plan.summary and plan.engine == "offline" and plan.source_session == history.session
    positions = [i.position for i in items]
    assert positions == list(range(len(items)))
    assert [i.priority for i in items] == sorted(i.priority for i in items)


def test_delivery_drills_target_the_candidates_own_numbers(history, candidate, catalogue):
    for wpm, fillers in ((185, 7), (190, 8), (178, 6)):
        history.answer(catalogue["sorting"], 90, **spoken(wpm=wpm, fillers=fillers, pitch=3.0))
    plan = services.study_plan_generate(user=candidate)
    drills = {i.subtopic.slug: i for i in _items(plan) if i.kind == "drill"}
    assert set(drills) == {"pace", "fillers"}  # pauses and pitch are inside their bands
    for long_pauses in (4, 3):
        history.answer(catalogue["graphs"], 90, **spoken(long_pauses=long_pauses))
    later = services.study_plan_generate(user=candidate, force=True)
    assert "pauses" not in {i.subtopic.slug for i in _items(later) if i.kind == "drill"}  # median 0,0,0,3,4 = 0
    for long_pauses in (3, 5):
        history.answer(catalogue["graphs"], 90, **spoken(long_pauses=long_pauses))
    pauses = [i for i in _items(services.study_plan_generate(user=candidate, force=True)) if i.kind == "drill"
              and i.subtopic.slug == "pauses"]
    assert pauses and pauses[0].target["from"] == 3.0 and pauses[0].target["to"] == 2.0  # median 0,0,0,3,3,4,5
    pace = drills["pace"].target
    assert pace == {"metric": "wpm", "from": 185.0, "to": 165.0, "band": [120, 160], "band_text": "120–160 wpm",
                    "unit": "wpm"}
    fillers = drills["fillers"].target
    assert fillers["from"] == 7.0 and fillers["to"] == 5.0 and fillers["metric"] == "fillers_per_min"
    assert fillers["band"] == [None, 3]
    assert "185" in drills["pace"].title and "120–160" in drills["pace"].detail
    assert "aim for 165" in plan.summary


def test_a_monotone_candidate_gets_a_pitch_drill_and_a_steady_one_none(history, other_history, candidate,
                                                                      other_candidate, catalogue):
    for _ in range(2):
        history.answer(catalogue["sorting"], 90, **spoken(pitch=0.8))
        other_history.answer(catalogue["sorting"], 90, **spoken())
    drills = [i for i in _items(services.study_plan_generate(user=candidate)) if i.kind == "drill"]
    assert [(d.subtopic.slug, d.target["to"]) for d in drills] == [("pitch-variation", 1.8)]
    other = services.study_plan_generate(user=other_candidate)
    assert not [i for i in _items(other) if i.kind == "drill"]
    assert "Nothing urgent" in other.summary


def test_due_subtopics_become_spaced_review_items(history, candidate, catalogue):
    now = timezone.now()
    history.answer(catalogue["hashing"], 90, at=now - timedelta(days=20))
    history.answer(catalogue["sorting"], 90, at=now)  # just practised: not due
    plan = services.study_plan_generate(user=candidate)
    reviews = [i for i in _items(plan) if i.kind == "review"]
    assert [r.subtopic.slug for r in reviews] == ["hashing"]
    assert reviews[0].question_count == 1 and reviews[0].due_date == timezone.localdate()
    assert "due for review" in plan.summary


def test_regeneration_keeps_history_one_current_plan_and_is_idempotent_per_interview(history, candidate, catalogue):
    history.answer(catalogue["graphs"], 20)
    first = services.study_plan_generate(user=candidate, source_session=history.session)
    assert services.study_plan_generate(user=candidate, source_session=history.session).pk == first.pk
    assert plan_task.apply(args=[candidate.pk, history.session.pk]).get() == first.pk  # a retried task
    history.new_session()
    history.answer(catalogue["graphs"], 95)
    second = plan_task.apply(args=[candidate.pk, history.session.pk]).get()
    assert second != first.pk
    assert StudyPlan.objects.filter(user=candidate, is_current=True).get().pk == second
    first.refresh_from_db()
    assert not first.is_current and first.items.exists()
    assert plan_task.apply(args=[999999, None]).get() is None  # a deleted user: nothing to do


def test_mark_done_and_progress(history, candidate, catalogue):
    history.answer(catalogue["graphs"], 20)
    plan = services.study_plan_generate(user=candidate)
    items = _items(plan)
    assert selectors.plan_progress(plan=plan) == {"done": 0, "total": len(items), "percent": 0}
    services.study_item_mark_done(item=items[0])
    stamp = items[0].done_at
    services.study_item_mark_done(item=items[0])  # twice: the first time is kept
    assert items[0].done_at == stamp
    progress = selectors.plan_progress(plan=plan)
    assert progress["done"] == 1 and progress["percent"] == round(100 / len(items))
    assert items[0] not in selectors.plan_next_steps(user=candidate)
    services.study_item_mark_done(item=items[0], done=False)
    assert selectors.plan_progress(plan=plan)["done"] == 0


def test_plan_next_steps_reads_only_the_users_current_plan(history, other_history, candidate, other_candidate,
                                                            catalogue):
    history.answer(catalogue["graphs"], 20)
    other_history.answer(catalogue["sorting"], 10)
    services.study_plan_generate(user=candidate)
    services.study_plan_generate(user=other_candidate)
    steps = selectors.plan_next_steps(user=candidate, limit=4)
    assert steps and all(s.plan.user_id == candidate.pk for s in steps)
    assert {s.subtopic.slug for s in steps} == {"graphs"}
    assert len(selectors.plan_next_steps(user=candidate, limit=1)) == 1


def test_subtopics_due_for_puts_due_and_weak_first(history, candidate, catalogue):
    now = timezone.now()
    history.answer(catalogue["sorting"], 95, at=now)                          # strong, not due
    history.answer(catalogue["graphs"], 20, at=now - timedelta(days=3))       # weak and due
    history.answer(catalogue["hashing"], 95, at=now - timedelta(days=30))     # strong but due
    history.answer(catalogue["conflict"], 30, at=now)                         # weak, not due yet
    history.answer(catalogue["sorting"], 50, apply=True, **spoken())          # delivery skills never listed
    found = selectors.subtopics_due_for(user=candidate, limit=10)
    slugs = [d.subtopic.slug for d in found]
    assert slugs[:3] == ["graphs", "hashing", "conflict"] and "pace" not in slugs
    assert found[0].due and found[0].weak and found[1].due and not found[1].weak
    assert [d.subtopic.slug for d in selectors.subtopics_due_for(user=candidate, limit=2)] == ["graphs", "hashing"]
    only_story = selectors.subtopics_due_for(user=candidate, topics=[catalogue["story"]])
    assert [d.subtopic.slug for d in only_story] == ["conflict"]


def test_mastery_summary_matches_the_dashboard(history, candidate, catalogue):
    history.answer(catalogue["conflict"], 40, **spoken())
    history.answer(catalogue["sorting"], 90)
    rows = selectors.mastery_summary(user=candidate)
    assert [r.name for r in rows] == ["Test Algorithms", "Test Stories", "Delivery"]
    assert all(r.low <= r.percent <= r.high for r in rows)
    assert rows[1].weak and not rows[0].weak
    assert SubtopicMastery.objects.filter(user=candidate).count() == 6
    trends = selectors.subtopic_trends(user=candidate, subtopic_ids=[catalogue["sorting"].pk])
    assert list(trends) == [catalogue["sorting"].pk] and trends[catalogue["sorting"].pk][0]["score"] == 90
