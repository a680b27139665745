"""Generated questions through the real google-genai SDK against the fake Gemini server: validated, deduplicated
against the bank, and every failure falls back to the offline plan."""

from __future__ import annotations

import pytest

from rag.selection import AskedHistory, questions_choose
from tests.fakes.gemini_server import gemini_fake, gemini_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

KEY_POINTS = ["An idempotency key lets the server recognise a retried request.",
              "The first result is stored and replayed for duplicates.",
              "Keys expire after a retention window to bound storage."]
REFERENCE = ("Clients send a unique idempotency key with each payment request. The server stores the key with the "
             "outcome of the first attempt, so a retry after a timeout returns the stored result instead of "
             "charging twice. Keys live in a fast store with a retention window, and concurrent duplicates are "
             "serialised with a unique constraint or a lock on the key.")


def generated(topic_slug: str, text: str, **extra: object) -> dict:
    return {"text": text, "topic_slug": topic_slug, "difficulty": 2, "reference_answer": REFERENCE,
            "key_points": KEY_POINTS, "hint": "Think about retries.", "rationale": "your payments work"} | extra


def test_generated_questions_are_validated_and_deduplicated(gemini_fake, candidate, small_bank) -> None:  # noqa: ANN001, F811
    topic = next(q.topic for q in small_bank if q.topic.kind == "technical")
    bank_copy = next(q.text for q in small_bank if q.topic == topic)
    gemini_fake.reset(mode="ok", payload={"questions": [
        generated(topic.slug, "How would you make a payment API safe to retry without charging twice?"),
        generated(topic.slug, bank_copy),  # a copy of a bank question: dropped
        generated("not-a-topic", "What is the meaning of a made up topic here?"),  # unknown topic: dropped
        generated(topic.slug, "Explain idempotency keys?", key_points=["Too short."] * 3),  # bad key points
    ]})
    plans, engine = questions_choose(
        user=candidate, history=AskedHistory(), mode="technical", topics=[topic], difficulty=2, count=3)
    assert engine == "gemini" and len(gemini_fake.requests) == 1
    assert plans[0].source == "generated" and "charging twice" in plans[0].text
    assert plans[0].key_points == KEY_POINTS and plans[0].topic == topic
    assert [p.source for p in plans[1:]] == ["bank"] * (len(plans) - 1)
    assert bank_copy not in [p.text for p in plans if p.source == "generated"]


@pytest.mark.parametrize("mode", ["500", "invalid_json", "wrong_schema"])
def test_any_gemini_failure_falls_back_to_the_bank(gemini_fake, candidate, small_bank, mode) -> None:  # noqa: ANN001, F811
    topic = next(q.topic for q in small_bank if q.topic.kind == "technical")
    gemini_fake.reset(mode=mode)
    plans, engine = questions_choose(
        user=candidate, history=AskedHistory(), mode="technical", topics=[topic], difficulty=0, count=3)
    assert engine == "bank" and plans and all(p.source == "bank" for p in plans)
    assert gemini_fake.requests


def test_refused_connection_falls_back(settings, candidate, small_bank) -> None:  # noqa: ANN001
    from interviewprep.gemini import gemini_client

    settings.GEMINI_API_KEY, settings.GEMINI_MODEL = "key", "gemini-test"
    settings.GEMINI_BASE_URL, settings.GEMINI_RETRIES, settings.GEMINI_TIMEOUT_S = "http://127.0.0.1:9", 0, 1.0
    gemini_client.reset()
    try:
        plans, engine = questions_choose(
            user=candidate, history=AskedHistory(), mode="technical", topics=[], difficulty=0, count=2)
    finally:
        gemini_client.reset()
    assert engine == "bank" and len(plans) == 2
