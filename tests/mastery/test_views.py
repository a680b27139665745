"""The mastery pages: they render for their owner, refuse anonymous users and other users' objects; mark done
and reset go through POST with a confirmation."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from mastery import services
from mastery.models import StudyPlanItem, SubtopicMastery
from tests.mastery.conftest import spoken

pytestmark = pytest.mark.django_db

PAGES = ["mastery:overview", "mastery:plan", "mastery:progress", "mastery:reset"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_require_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_empty_for_a_new_candidate(candidate_client, name):
    response = candidate_client.get(reverse(name))
    assert response.status_code == 200
    assert b"<svg" not in response.content or name == "mastery:reset"


def _crafted(history, catalogue):  # noqa: ANN001, ANN202
    history.answer(catalogue["sorting"], 92, **spoken(wpm=185, fillers=7))
    history.answer(catalogue["graphs"], 18, missed=["Relax edges in order of distance"], **spoken(wpm=180))
    history.new_session()
    history.answer(catalogue["graphs"], 35, **spoken(wpm=170))
    return services.study_plan_generate(user=history.user, source_session=history.session)


def test_overview_shows_topics_chart_subtopics_trend_and_reviews(candidate_client, history, other_history, catalogue):
    _crafted(history, catalogue)
    other_history.answer(catalogue["conflict"], 50)
    html = candidate_client.get(reverse("mastery:overview")).content.decode()
    assert 'role="img"' in html and "Mastery by topic" in html and "<rect" in html
    assert "Test Algorithms" in html and "Graphs" in html and "Sorting" in html and "Pace" in html
    assert "<polyline" in html and "Trend over 2 answers" in html
    assert "Test Stories" not in html  # the other candidate's topic
    assert reverse("mastery:reset_topic", args=["t-algo"]) in html


def test_dashboard_shows_mastery_and_next_steps(candidate_client, history, catalogue):
    _crafted(history, catalogue)
    html = candidate_client.get(reverse("dashboard")).content.decode()
    assert "Test Algorithms" in html and "Study the key points of Graphs" in html


def test_plan_page_lists_items_with_targets_and_reference_answers(candidate_client, candidate, history, catalogue,
                                                                  bank):
    from rag.models import BankQuestion

    bank_q = BankQuestion.objects.select_related("subtopic").first()
    history.answer(bank_q.subtopic, 10)
    plan = services.study_plan_generate(user=candidate)
    html = candidate_client.get(reverse("mastery:plan")).content.decode()
    assert plan.summary in html
    assert f"Study the key points of {bank_q.subtopic.name}" in html
    assert "Reference answers" in html and bank_q.reference_answer[:40] in html
    assert "Mark done" in html and 'max="2"' in html


def test_plan_page_shows_drill_targets(candidate_client, history, catalogue):
    _crafted(history, catalogue)
    html = candidate_client.get(reverse("mastery:plan")).content.decode()
    assert "Pace drill: from 180 to 160 wpm" in html and "healthy range 120–160 wpm" in html


def test_mark_done_is_post_only_and_owner_only(candidate_client, history, other_history, other_candidate,
                                               catalogue):
    plan = _crafted(history, catalogue)
    item = plan.items.order_by("position").first()
    url = reverse("mastery:item_done", args=[item.pk])
    assert candidate_client.get(url).status_code == 405
    response = candidate_client.post(url, {"done": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("mastery:plan")
    item.refresh_from_db()
    assert item.done
    response = candidate_client.post(url, {}, HTTP_ACCEPT="application/json")
    assert response.json() == {"id": item.pk, "done": False}
    # Another candidate's item is not found, and stays as it was.
    other_history.answer(catalogue["conflict"], 10)
    other_item = services.study_plan_generate(user=other_candidate).items.first()
    assert candidate_client.post(reverse("mastery:item_done", args=[other_item.pk]), {"done": "on"}).status_code == 404
    other_item.refresh_from_db()
    assert not other_item.done
    assert candidate_client.post(reverse("mastery:item_done", args=[987654]), {"done": "on"}).status_code == 404
    anonymous = Client().post(url, {"done": "on"})
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    assert StudyPlanItem.objects.get(pk=item.pk).done_at is None


def test_progress_page_charts_scores_and_delivery_bands(candidate_client, history, catalogue):
    _crafted(history, catalogue)
    history.new_session()
    history.answer(catalogue["sorting"], 60, **spoken(wpm=150, fillers=1))
    html = unescape(candidate_client.get(reverse("mastery:progress")).content.decode())
    assert "Content and delivery scores per interview" in html
    assert "Pace" in html and "target 120–160 wpm" in html and "outside the band" not in html.split("Latest:")[1]
    assert html.count("<svg") >= 3  # scores, pace, fillers, topics (pauses and pitch need a signal)
    assert "Content score per topic per interview" in html and "Test Algorithms: " in html
    assert "A chart appears from 3 interviews" not in html.split("data-skill-trends")[1].split("Filler")[0]


def test_progress_with_one_or_two_interviews_says_the_values_instead_of_a_lonely_dot(candidate_client, history,
                                                                                      catalogue):
    history.answer(catalogue["sorting"], 62, **spoken(wpm=185))
    html = unescape(candidate_client.get(reverse("mastery:progress")).content.decode())
    main = html.split("<main", 1)[1]
    assert "<svg" not in main and "<circle" not in main
    assert "Content: 62 on " in main and "your only measured interview so far" in main
    assert "Pace: 185 wpm on " in main and "The latest is outside the target." in main
    assert "A chart appears from 3 interviews." in main
    history.new_session()
    history.answer(catalogue["sorting"], 70, **spoken(wpm=150))
    main = unescape(candidate_client.get(reverse("mastery:progress")).content.decode()).split("<main", 1)[1]
    assert "<svg" not in main
    assert re.search(r"Content: 62 on \w+ \d+, then 70 on \w+ \d+ \(up 8\)\.", main)
    assert re.search(r"Pace: 185 wpm on \w+ \d+, then 150 wpm on \w+ \d+ \(down 35\)\. The latest is inside", main)
    assert "Test Algorithms: 62 on " in main  # per topic, in words too


def test_reset_needs_confirmation(candidate_client, candidate, history, catalogue):
    _crafted(history, catalogue)
    before = SubtopicMastery.objects.filter(user=candidate).count()
    url = reverse("mastery:reset_topic", args=["t-algo"])
    page = candidate_client.get(url)
    assert page.status_code == 200 and b"Reset your mastery of Test Algorithms?" in page.content
    unconfirmed = candidate_client.post(url, {})
    assert unconfirmed.status_code == 200 and b"Tick the box" in unconfirmed.content
    assert SubtopicMastery.objects.filter(user=candidate).count() == before
    done = candidate_client.post(url, {"confirm": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("mastery:overview")
    assert not SubtopicMastery.objects.filter(user=candidate, subtopic__topic=catalogue["algo"]).exists()
    assert SubtopicMastery.objects.filter(user=candidate, subtopic__topic__slug="delivery").exists()
    assert candidate_client.post(reverse("mastery:reset"), {"confirm": "on"}).status_code == 302
    assert not SubtopicMastery.objects.filter(user=candidate).exists()
    assert candidate_client.get(reverse("mastery:reset_topic", args=["no-such-topic"])).status_code == 404


def test_reset_by_one_user_leaves_others_alone(candidate_client, history, other_history, other_candidate, catalogue):
    history.answer(catalogue["sorting"], 50)
    other_history.answer(catalogue["sorting"], 50)
    candidate_client.post(reverse("mastery:reset"), {"confirm": "on"})
    assert SubtopicMastery.objects.filter(user=other_candidate).count() == 1


def test_plan_refresh_is_post_only(candidate_client, candidate, history, catalogue):
    history.answer(catalogue["graphs"], 20)
    assert candidate_client.get(reverse("mastery:plan_refresh")).status_code == 405
    response = candidate_client.post(reverse("mastery:plan_refresh"))
    assert response.status_code == 302
    assert candidate.study_plans.get(is_current=True).items.filter(subtopic=catalogue["graphs"]).exists()
