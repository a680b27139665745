"""Gemini may reword the study plan (real google-genai SDK against the fake server); offline stays complete."""

from __future__ import annotations

import pytest

from mastery import services
from tests.fakes.gemini_server import gemini_fake, gemini_server  # noqa: F401 - fixtures
from tests.mastery.conftest import spoken

pytestmark = pytest.mark.django_db


def _offline_plan(history, catalogue):  # noqa: ANN001, ANN202
    history.answer(catalogue["graphs"], 20)
    for _ in range(2):
        history.answer(catalogue["sorting"], 90, **spoken(wpm=190))
    plan = services.study_plan_generate(user=history.user)
    return plan, list(plan.items.order_by("position"))


def test_gemini_rewords_items_but_keeps_structure_and_numbers(history, catalogue, gemini_fake):  # noqa: F811
    offline_plan, offline = _offline_plan(history, catalogue)
    assert offline_plan.engine == "offline"
    phrased = []
    for item in offline:
        numbers = " ".join(f"{v:g}" for v in (item.target.get("to"), item.target.get("from"))
                           if isinstance(v, int | float))
        count = f" {item.question_count}" if item.question_count else ""
        phrased.append({"position": item.position, "title": f"Coach: {item.get_kind_display()}",
                        "detail": f"Reworded {numbers}{count}"})
    phrased[-1]["detail"] = "I dropped the numbers"  # this item keeps its offline words
    gemini_fake.reset(payload={"summary": "Here is your week.", "items": phrased})
    plan = services.study_plan_generate(user=history.user, force=True)
    items = list(plan.items.order_by("position"))
    assert plan.engine == "gemini" and plan.summary == "Here is your week."
    assert [(i.kind, i.subtopic_id, i.target, i.due_date, i.priority) for i in items] == \
        [(i.kind, i.subtopic_id, i.target, i.due_date, i.priority) for i in offline]
    assert all(i.title.startswith("Coach:") for i in items[:-1])
    assert items[-1].title == offline[-1].title and items[-1].detail == offline[-1].detail
    request = gemini_fake.requests[0]["body"]
    assert "190" in str(request["contents"])  # the candidate's own numbers were sent to be kept


@pytest.mark.parametrize("mode, payload", [
    ("500", None),
    ("wrong_schema", None),
    ("invalid_json", None),
    ("ok", {"summary": "Only one item", "items": [{"position": 0, "title": "First", "detail": "x"}]}),
])
def test_any_gemini_failure_keeps_the_offline_plan(history, catalogue, gemini_fake, mode, payload):  # noqa: F811
    _, offline = _offline_plan(history, catalogue)
    gemini_fake.reset(mode=mode, payload=payload)
    plan = services.study_plan_generate(user=history.user, force=True)
    assert plan.engine == "offline" and gemini_fake.requests
    assert [(i.title, i.detail) for i in plan.items.order_by("position")] == [(i.title, i.detail) for i in offline]
