"""The mastery rule and the review schedule (mastery/rules.py), property by property."""

from __future__ import annotations

import itertools
import math

import pytest

from mastery import rules
from mastery.rules import Estimate, rating_update, review_interval

SCORES = [i / 10 for i in range(11)]
STATES = [Estimate(r, v, n) for r, v, n in itertools.product([-4.0, -1.5, 0.0, 1.2, 4.0], [0.04, 0.3, 1.0], [0, 7])]


@pytest.mark.parametrize("state", STATES)
def test_rating_and_variance_stay_within_bounds(state):
    for score, difficulty, idle in itertools.product(SCORES, (1, 2, 3), (None, 0, 3, 400)):
        after = rating_update(state, score=score, difficulty=difficulty, idle_days=idle)
        assert -rules.RATING_BOUND <= after.rating <= rules.RATING_BOUND
        assert rules.MIN_VARIANCE <= after.variance <= rules.MAX_VARIANCE
        assert after.evidence_count == state.evidence_count + 1
        assert 0 <= after.percent <= 100 and after.band[0] <= after.percent <= after.band[1]


def test_out_of_range_scores_are_clamped_and_nan_is_refused():
    assert rating_update(Estimate(), score=7.0, difficulty=2, idle_days=None) == \
        rating_update(Estimate(), score=1.0, difficulty=2, idle_days=None)
    assert rating_update(Estimate(), score=-3, difficulty=2, idle_days=None) == \
        rating_update(Estimate(), score=0.0, difficulty=2, idle_days=None)
    with pytest.raises(ValueError):
        rating_update(Estimate(), score=math.nan, difficulty=2, idle_days=None)


@pytest.mark.parametrize("state", STATES)
def test_a_better_answer_never_ends_lower_than_a_worse_one(state):
    for difficulty in (1, 2, 3):
        afters = [rating_update(state, score=s, difficulty=difficulty, idle_days=2).rating for s in SCORES]
        assert afters == sorted(afters)
    # Strictly better where the rating is not pinned at a bound.
    mid = Estimate(0.0, 0.5, 3)
    assert rating_update(mid, score=0.8, difficulty=2, idle_days=0).rating > \
        rating_update(mid, score=0.6, difficulty=2, idle_days=0).rating


def test_a_good_answer_raises_and_a_poor_one_lowers():
    start = Estimate(0.5, 0.5, 3)
    assert rating_update(start, score=0.95, difficulty=2, idle_days=0).rating > start.rating
    assert rating_update(start, score=0.1, difficulty=2, idle_days=0).rating < start.rating


@pytest.mark.parametrize("state", STATES[:-3])
def test_the_same_score_on_a_harder_question_counts_for_more(state):
    for score in SCORES:
        easy, mid, hard = (rating_update(state, score=score, difficulty=d, idle_days=0).rating for d in (1, 2, 3))
        assert easy <= mid <= hard
    strong_answer = [rating_update(Estimate(), score=0.8, difficulty=d, idle_days=None).rating for d in (1, 2, 3)]
    assert strong_answer[0] < strong_answer[1] < strong_answer[2]
    # A poor answer to an easy question costs more than the same poor answer to a hard one.
    poor = [rating_update(Estimate(1.0, 0.3, 5), score=0.2, difficulty=d, idle_days=0).rating for d in (1, 3)]
    assert poor[0] < poor[1]


def test_evidence_narrows_uncertainty_and_shrinks_steps():
    est, variances, steps = Estimate(), [], []
    for _ in range(8):
        after = rating_update(est, score=0.9, difficulty=2, idle_days=0)
        steps.append(after.rating - est.rating)
        variances.append(after.variance)
        est = after
    assert variances == sorted(variances, reverse=True) and variances[-1] < 0.2
    assert steps == sorted(steps, reverse=True) and steps[-1] > 0
    lo, hi = est.band
    assert hi - lo < Estimate().band[1] - Estimate().band[0]
    # A newcomer moves more on the same answer than a well-evidenced candidate at the same rating.
    new = rating_update(Estimate(0.0, 1.0, 0), score=1.0, difficulty=2, idle_days=0).rating
    settled = rating_update(Estimate(0.0, 0.1, 20), score=1.0, difficulty=2, idle_days=0).rating
    assert new > settled > 0


def test_repeated_answers_converge_to_the_score_they_show():
    est = Estimate()
    for _ in range(200):
        est = rating_update(est, score=0.8, difficulty=3, idle_days=0)
    # Fixed point: sigmoid(r - b) = s, so r = logit(0.8) + 1 for senior questions.
    assert est.rating == pytest.approx(math.log(0.8 / 0.2) + 1.0, abs=0.05)


def test_time_away_widens_uncertainty_and_makes_the_next_answer_count_more():
    settled = Estimate(1.0, rules.MIN_VARIANCE, 12)
    assert rules.variance_after_idle(settled.variance, 30) > rules.variance_after_idle(settled.variance, 1)
    assert rules.variance_after_idle(settled.variance, 10_000) == rules.MAX_VARIANCE
    fresh = rating_update(settled, score=0.2, difficulty=2, idle_days=0)
    stale = rating_update(settled, score=0.2, difficulty=2, idle_days=60)
    assert stale.rating < fresh.rating < settled.rating


def test_topic_mastery_is_precision_weighted_over_practised_subtopics():
    certain, vague = Estimate(2.0, 0.05, 10), Estimate(-2.0, 1.0, 1)
    topic = rules.estimates_combine([certain, vague, Estimate()])  # the unpractised one is ignored
    assert topic.evidence_count == 11
    assert 1.5 < topic.rating < 2.0  # pulled toward the subtopic we are sure of
    assert min(certain.variance, vague.variance) < topic.variance < max(certain.variance, vague.variance)
    assert rules.estimates_combine([]) == Estimate()


def test_review_intervals_grow_with_strength_and_reset_after_a_poor_answer():
    weak, strong = Estimate(0.0, 0.3, 5), Estimate(2.5, 0.1, 9)
    assert review_interval(previous_days=4, score=0.9, estimate=strong) > \
        review_interval(previous_days=4, score=0.9, estimate=weak) > 4
    assert review_interval(previous_days=20, score=0.3, estimate=strong) == rules.MIN_INTERVAL_DAYS
    hard = review_interval(previous_days=10, score=0.6, estimate=strong)
    assert 10 < hard < review_interval(previous_days=10, score=0.9, estimate=strong)
    # Monotone in the answer: a better answer never schedules the review sooner.
    days = [review_interval(previous_days=6, score=s, estimate=strong) for s in SCORES]
    assert days == sorted(days)
    assert review_interval(previous_days=59, score=1.0, estimate=strong) == rules.MAX_INTERVAL_DAYS
    assert review_interval(previous_days=None, score=0.9, estimate=weak) >= rules.MIN_INTERVAL_DAYS


def test_a_run_of_good_answers_spaces_reviews_out():
    est, interval, seen = Estimate(), None, []
    for _ in range(6):
        est = rating_update(est, score=0.9, difficulty=2, idle_days=interval)
        interval = review_interval(previous_days=interval, score=0.9, estimate=est)
        seen.append(interval)
    assert seen == sorted(seen) and seen[0] < 3 and seen[-1] > 20


def test_review_urgency_ranks_weak_and_overdue_first():
    weak, strong = Estimate(-1.0, 0.2, 4), Estimate(2.0, 0.2, 4)
    assert rules.review_urgency(estimate=weak, overdue_days=0, interval_days=4) > \
        rules.review_urgency(estimate=strong, overdue_days=0, interval_days=4)
    assert rules.review_urgency(estimate=strong, overdue_days=5, interval_days=4) > \
        rules.review_urgency(estimate=strong, overdue_days=-5, interval_days=4)


def test_drill_targets_step_from_the_candidates_number_toward_the_band():
    pace, fillers, pauses = rules.SKILLS["pace"], rules.SKILLS["fillers"], rules.SKILLS["pauses"]
    assert (pace.low, pace.high) == (120, 160) and pace.describe() == "120–160 wpm"
    assert pace.next_target(185) == 165 and pace.next_target(170) == 160 and pace.next_target(95) == 115
    assert pace.next_target(140) == 140
    assert fillers.next_target(4) == 3 and fillers.next_target(7.5) == 5.5 and fillers.contains(0)
    assert pauses.next_target(2.5) == 1.5


def _read(**kwargs):  # noqa: ANN003, ANN202
    base = {"signal": None, "delivery": None, "voice": True, "word_count": 150}
    return rules.delivery_read(**{**base, **kwargs})


def test_delivery_read_scores_each_measured_skill_against_its_band():
    good = _read(delivery={"wpm": 140, "filler_count": 1},
                 signal={"duration_s": 60.0, "speaking_time_s": 50.0, "pause_total_s": 10.0,
                         "long_pause_count": 0, "pitch_std_st": 3.0})
    assert good.values == {"wpm": 140.0, "fillers_per_min": 1.0, "long_pauses_per_min": 0.0, "pitch_std_st": 3.0}
    assert good.scores == {"pace": 1.0, "fillers": 1.0, "pauses": 1.0, "pitch-variation": 1.0}
    poor = _read(delivery={"wpm": 200, "filler_count": 9},
                 signal={"duration_s": 60.0, "speaking_time_s": 50.0, "pause_total_s": 10.0,
                         "long_pause_count": 4, "pitch_std_st": 0.5})
    assert set(poor.scores) == set(rules.SKILLS)
    assert all(poor.scores[k] < good.scores[k] for k in poor.scores)
    assert all(0.0 <= v <= 1.0 for v in poor.scores.values())
    # Worse numbers never score better.
    paces = [_read(delivery={"wpm": w}, signal={"duration_s": 60.0, "speaking_time_s": 55.0}).scores["pace"]
             for w in (160, 175, 190, 230)]
    assert paces == sorted(paces, reverse=True) and paces[-1] < paces[0]


def test_delivery_read_judges_nothing_it_cannot_support():
    signal = {"duration_s": 60.0, "speaking_time_s": 50.0, "pitch_std_st": 3.0, "long_pause_count": 0}
    assert _read(delivery={"wpm": 140}, signal=signal, voice=False) == rules.DeliveryReading({}, {})
    short = {**signal, "duration_s": 6.0, "speaking_time_s": 5.0}
    assert _read(delivery={"wpm": 140}, signal=short).scores == {}
    silent = {**signal, "silence_fraction": 0.95}
    assert _read(delivery={"wpm": 140}, signal=silent).scores == {}
    # A transcript we do not trust: no word-based skills, the voice-based ones still count.
    unsure = _read(delivery={"wpm": 140, "filler_count": 2}, signal=signal, transcript_confidence=0.3)
    assert set(unsure.scores) == {"pauses", "pitch-variation"}
    # A garbage value is ignored, not trusted, and nothing stands in for it: words over the whole recording are
    # another figure (pipeline/measures.py), so there is no pace rather than a pace by another definition.
    assert "wpm" not in _read(delivery={"wpm": "fast"}, signal={"duration_s": 60.0, "speaking_time_s": 55.0}).values
    assert _read(delivery=None, signal=None).scores == {}
