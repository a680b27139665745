"""Applying answers to mastery: subtopic, topic and delivery skills, idempotence under retries, scheduling, reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mastery import rules, services
from mastery.models import MasteryEvent, StudyPlan, Subtopic, SubtopicMastery, Topic, TopicMastery
from mastery.tasks import mastery_apply_answer as apply_task
from tests.mastery.conftest import spoken

pytestmark = pytest.mark.django_db


def test_a_scored_answer_updates_its_subtopic_and_topic_once(history, candidate, catalogue):
    answer = history.answer(catalogue["sorting"], 90, difficulty=3)
    row = SubtopicMastery.objects.get(user=candidate, subtopic=catalogue["sorting"])
    expected = rules.rating_update(rules.Estimate(), score=0.9, difficulty=3, idle_days=None)
    assert row.rating == pytest.approx(expected.rating) and row.variance == pytest.approx(expected.variance)
    assert row.evidence_count == 1 and row.last_score == pytest.approx(0.9)
    assert row.last_practiced_at == answer.ended_at
    assert row.next_review_at == answer.ended_at + timedelta(days=row.interval_days)
    topic = TopicMastery.objects.get(user=candidate, topic=catalogue["algo"])
    assert topic.rating == pytest.approx(row.rating) and topic.evidence_count == 1
    event = MasteryEvent.objects.get(answer=answer)
    assert (event.rating_before, event.difficulty, event.score) == (0.0, 3, 0.9)
    assert answer.mastery_applied_at is not None
    # Typed answers measure no delivery: nothing else was touched.
    assert MasteryEvent.objects.count() == 1 and not Topic.objects.filter(slug="delivery").exists()


def test_topic_mastery_is_derived_from_all_practised_subtopics(history, candidate, catalogue):
    history.answer(catalogue["sorting"], 95)
    history.answer(catalogue["graphs"], 20)
    rows = [rules.Estimate(r.rating, r.variance, r.evidence_count)
            for r in SubtopicMastery.objects.filter(user=candidate, subtopic__topic=catalogue["algo"])]
    topic = TopicMastery.objects.get(user=candidate, topic=catalogue["algo"])
    assert topic.rating == pytest.approx(rules.estimates_combine(rows).rating)
    assert topic.evidence_count == 2
    assert not TopicMastery.objects.filter(user=candidate, topic=catalogue["story"]).exists()


def test_spoken_answers_also_update_delivery_skills(history, candidate, catalogue):
    history.answer(catalogue["sorting"], 70, **spoken(wpm=200, fillers=9, pause_total_s=6, pitch=1.0))
    delivery = Topic.objects.get(slug="delivery")
    assert delivery.kind == "delivery"
    assert set(delivery.subtopics.values_list("slug", flat=True)) == {"pace", "fillers", "pauses", "pitch-variation"}
    rows = {r.subtopic.slug: r for r in SubtopicMastery.objects.filter(user=candidate, subtopic__topic=delivery)}
    assert rows["pauses"].rating > 0 > rows["pace"].rating  # no long pauses is in the band, 200 wpm is not
    assert rows["pitch-variation"].rating < rows["pauses"].rating  # 1 semitone sounds monotone
    expected = rules.delivery_read(delivery={"wpm": 200, "filler_count": 9}, signal={
        "duration_s": 60, "speaking_time_s": 54, "pause_total_s": 6, "pitch_std_st": 1.0, "long_pause_count": 0},
        voice=True, word_count=200).scores
    assert rows["fillers"].last_score == pytest.approx(expected["fillers"]) and expected["fillers"] < 0.5
    assert TopicMastery.objects.filter(user=candidate, topic=delivery).exists()
    # A second spoken answer reuses the same catalogue rows.
    history.answer(catalogue["graphs"], 70, **spoken())
    assert Subtopic.objects.filter(topic=delivery).count() == 4
    pace = SubtopicMastery.objects.get(user=candidate, subtopic__slug="pace", subtopic__topic=delivery)
    assert pace.evidence_count == 2


def test_silent_clipped_and_short_answers_do_not_touch_delivery(history, candidate, catalogue):
    history.answer(catalogue["sorting"], 60, **spoken(wpm=300, silence_fraction=0.95))
    history.answer(catalogue["graphs"], 60, **spoken(clipping_fraction=0.5))
    history.answer(catalogue["hashing"], 60, **spoken(duration_s=6))
    assert MasteryEvent.objects.filter(user=candidate, subtopic__topic__slug="delivery").count() == 0
    assert MasteryEvent.objects.filter(user=candidate).count() == 3


def test_a_question_without_subtopic_counts_under_general(history, candidate, catalogue):
    answer = history.answer(catalogue["sorting"], 50, apply=False)
    answer.question.subtopic = None
    answer.question.save()
    services.mastery_apply_answer(answer_id=answer.pk)
    general = Subtopic.objects.get(topic=catalogue["algo"], slug="general")
    assert SubtopicMastery.objects.get(user=candidate, subtopic=general).evidence_count == 1


def test_the_task_is_idempotent_when_retried_or_duplicated(history, candidate, catalogue):
    answer = history.answer(catalogue["sorting"], 80, apply=False, **spoken())
    assert apply_task.apply(args=[answer.pk]).successful()
    snapshot = list(SubtopicMastery.objects.filter(user=candidate).order_by("pk")
                    .values_list("rating", "variance", "evidence_count", "next_review_at"))
    assert len(snapshot) == 5  # sorting + four delivery skills
    assert apply_task.apply(args=[answer.pk]).successful()
    # Even if the applied mark were lost, the (answer, subtopic) events stop a second application.
    type(answer).objects.filter(pk=answer.pk).update(mastery_applied_at=None)
    assert apply_task.apply(args=[answer.pk]).successful()
    again = list(SubtopicMastery.objects.filter(user=candidate).order_by("pk")
                 .values_list("rating", "variance", "evidence_count", "next_review_at"))
    assert again == snapshot
    assert MasteryEvent.objects.filter(answer=answer).count() == 5


def test_a_failure_midway_rolls_back_and_the_retry_applies_exactly_once(history, candidate, catalogue, monkeypatch):
    answer = history.answer(catalogue["sorting"], 80, apply=False)
    real = services.topic_mastery_refresh
    calls = {"n": 0}

    def flaky(**kwargs):  # noqa: ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "topic_mastery_refresh", flaky)
    result = apply_task.apply(args=[answer.pk])
    assert result.successful() and calls["n"] == 2  # failed once, retried once
    row = SubtopicMastery.objects.get(user=candidate, subtopic=catalogue["sorting"])
    assert row.evidence_count == 1
    assert row.rating == pytest.approx(rules.rating_update(rules.Estimate(), score=0.8, difficulty=2,
                                                           idle_days=None).rating)


def test_the_task_gives_up_after_its_retries_without_writing(history, candidate, catalogue, monkeypatch):
    answer = history.answer(catalogue["sorting"], 80, apply=False)

    def broken(**kwargs):  # noqa: ANN003, ANN202
        raise ConnectionError("down")

    monkeypatch.setattr(services, "topic_mastery_refresh", broken)
    result = apply_task.apply(args=[answer.pk])
    assert result.failed()
    assert not MasteryEvent.objects.exists() and not SubtopicMastery.objects.exists()
    answer.refresh_from_db()
    assert answer.mastery_applied_at is None


def test_missing_or_unscored_answers_change_nothing(history, candidate, catalogue):
    assert services.mastery_apply_answer(answer_id=987654) == []
    answer = history.answer(catalogue["sorting"], None)
    assert answer.mastery_applied_at is None and not MasteryEvent.objects.exists()


def test_recency_and_evidence_shape_consecutive_updates(history, candidate, catalogue):
    now = timezone.now()
    for i in range(4):
        history.answer(catalogue["sorting"], 85, at=now - timedelta(days=40 - i))
    steps = list(MasteryEvent.objects.filter(subtopic=catalogue["sorting"]).order_by("created_at")
                 .values_list("rating_before", "rating_after", "variance_after"))
    deltas = [after - before for before, after, _ in steps]
    assert deltas == sorted(deltas, reverse=True)  # daily practice: each answer moves it less
    assert [v for *_, v in steps] == sorted((v for *_, v in steps), reverse=True)
    # After five idle weeks the same answer moves the rating more than the last daily one did.
    history.answer(catalogue["sorting"], 85, at=now)
    last = MasteryEvent.objects.filter(subtopic=catalogue["sorting"]).latest("created_at")
    assert last.rating_after - last.rating_before > deltas[-1]


def test_review_is_scheduled_later_after_good_answers_and_sooner_after_a_poor_one(history, candidate, catalogue):
    now = timezone.now()
    intervals = []
    for i, score in enumerate([85, 90, 90, 95]):
        at = now - timedelta(days=60 - 10 * i)
        history.answer(catalogue["graphs"], score, at=at)
        intervals.append(SubtopicMastery.objects.get(user=candidate, subtopic=catalogue["graphs"]).interval_days)
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0]
    answer = history.answer(catalogue["graphs"], 20, at=now)
    row = SubtopicMastery.objects.get(user=candidate, subtopic=catalogue["graphs"])
    assert row.interval_days == rules.MIN_INTERVAL_DAYS
    assert row.next_review_at == answer.ended_at + timedelta(days=1)


def test_reset_one_topic_keeps_the_others_and_rewrites_the_plan(history, candidate, other_history, catalogue):
    history.answer(catalogue["sorting"], 30)
    history.answer(catalogue["conflict"], 40)
    other_history.answer(catalogue["sorting"], 30)
    services.study_plan_generate(user=candidate)
    removed = services.mastery_reset(user=candidate, topic=catalogue["algo"])
    assert removed == 1
    assert not SubtopicMastery.objects.filter(user=candidate, subtopic__topic=catalogue["algo"]).exists()
    assert not MasteryEvent.objects.filter(user=candidate, subtopic__topic=catalogue["algo"]).exists()
    assert not TopicMastery.objects.filter(user=candidate, topic=catalogue["algo"]).exists()
    assert TopicMastery.objects.filter(user=candidate, topic=catalogue["story"]).exists()
    assert SubtopicMastery.objects.filter(user__email="other@example.com").count() == 1
    plan = StudyPlan.objects.get(user=candidate, is_current=True)
    assert {i.subtopic_id for i in plan.items.all()} == {catalogue["conflict"].pk}
    assert services.mastery_reset(user=candidate) == 1
    assert not SubtopicMastery.objects.filter(user=candidate).exists()
    assert StudyPlan.objects.get(user=candidate, is_current=True).items.count() == 0
