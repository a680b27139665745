"""Feedback through the REAL google-genai SDK against the fake Gemini server, each fault ending offline, and the
service's storage rules (idempotence, disagreement flag, honesty kept over Gemini's reply)."""

from __future__ import annotations

import pytest

from interviewprep.gemini import GeminiError, gemini_generate
from rag.feedback.services import answer_feedback_generate
from rag.feedback_schema import Feedback, StoredFeedback
from tests.fakes.gemini_server import gemini_fake, gemini_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

TRANSCRIPT = ("An index is a B-tree the database keeps next to the table so it can find rows without a full scan. "
              "For example, we indexed the customer id used in our joins and the slow report became fast. "
              "The cost is slower writes and extra storage, so I only index selective columns.")
SIGNAL = dict(duration_s=30.0, speaking_time_s=26.0, pause_count=3, long_pause_count=0, longest_pause_s=0.9,
              pause_total_s=2.0, pitch_median_hz=130.0, pitch_std_st=3.1, pitch_range_st=8.0, monotone=False,
              loudness_mean_dbfs=-21.0, loudness_std_db=5.0, jitter_local=0.007, shimmer_local=0.03,
              clipping_fraction=0.0, silence_fraction=0.13, voiced_fraction=0.7, pauses=[])


def gemini_payload(*, content: int = 72, delivery: int | None = 92, structure: int = 68, **extra: object) -> dict:
    payload = {
        "scores": {"content": content, "delivery": delivery, "structure": structure},
        "summary": "A clear definition with a real example; name when an index does not help.",
        "strengths": [{"title": "Concrete example", "detail": "The customer-id join example shows real use.",
                       "evidence": [{"kind": "quote", "text": "we indexed the customer id used in our joins"}],
                       "category": "examples"}],
        "improvements": [{"title": "Say when not to index", "detail": "Low-selectivity columns gain nothing.",
                          "evidence": [{"kind": "key_point", "text": "index selective columns"}],
                          "category": "key_points"}],
        "stronger_answer_outline": ["Define it", "Example", "Trade-offs"],
        "star": None, "withheld": [], "caveats": [],
    }
    return payload | extra


@pytest.fixture
def spoken(candidate, answer_factory):  # noqa: ANN001, ANN201
    return answer_factory(
        user=candidate, transcript=TRANSCRIPT, input_mode="voice", signal=SIGNAL, duration_s=30.0,
        speaking_time_s=26.0, transcript_confidence=0.93,
        delivery={"wpm": 116.0, "fillers": [], "filler_count": 0, "fillers_per_minute": 0.0, "hedges": []},
        content_score=70.0, key_points=("B-tree", "avoids full scan", "slower writes"),
        key_points_covered=[{"point": "B-tree", "sentence": "An index is a B-tree", "similarity": 0.8}],
        key_points_missed=[{"point": "slower writes", "similarity": 0.3, "closest": ""}],
        reference_answer="An index is a B-tree. It avoids a full scan. It slows writes.",
        question="What is a database index?", status="processing")


def test_ok_path_stores_gemini_feedback_through_the_real_sdk(gemini_fake, spoken) -> None:  # noqa: ANN001, F811
    gemini_fake.reset(mode="ok", payload=gemini_payload())
    answer = answer_feedback_generate(answer_id=spoken.pk)
    assert answer.feedback_engine == "gemini"
    stored = StoredFeedback.model_validate(answer.feedback)
    assert stored.engine == "gemini" and stored.model == "gemini-test" and stored.disagreement is None
    assert stored.summary.startswith("A clear definition")
    assert answer.structure_score == 68 and answer.delivery_score == 92
    request = gemini_fake.requests[0]
    assert request["path"] == "/v1beta/models/gemini-test:generateContent"
    config = request["body"]["generationConfig"]
    assert config["temperature"] == 0 and config["responseMimeType"] == "application/json"
    assert "scores" in config["responseJsonSchema"]["properties"]
    prompt = request["body"]["contents"][0]["parts"][0]["text"]
    assert "customer id" in prompt and "slower writes" in prompt  # the transcript and the missed key point


def test_429_is_retried_then_succeeds(gemini_fake, spoken) -> None:  # noqa: ANN001, F811
    gemini_fake.reset(mode="429_then_ok", payload=gemini_payload())
    answer = answer_feedback_generate(answer_id=spoken.pk)
    assert answer.feedback_engine == "gemini"
    assert len(gemini_fake.requests) == 2


@pytest.mark.parametrize("mode", ["500", "slow", "invalid_json", "wrong_schema"])
def test_each_fault_falls_back_to_the_offline_coach(gemini_fake, spoken, settings, mode: str) -> None:  # noqa: ANN001, F811
    gemini_fake.reset(mode=mode, payload=gemini_payload())
    if mode == "slow":
        settings.GEMINI_TIMEOUT_S = 0.4
        settings.GEMINI_RETRIES = 1
        gemini_fake.delay_s = 1.5
    answer = answer_feedback_generate(answer_id=spoken.pk)
    assert answer.feedback_engine == "offline"
    stored = StoredFeedback.model_validate(answer.feedback)
    assert stored.engine == "offline" and stored.model is None
    assert all(p.evidence for p in stored.improvements)
    if mode == "500":
        assert len(gemini_fake.requests) == 3  # 5xx retried: GEMINI_RETRIES=2 -> three attempts
    if mode in ("invalid_json", "wrong_schema"):
        assert len(gemini_fake.requests) == 1  # a 200 with bad content is not retried


def test_client_errors_are_not_retried(gemini_fake, settings) -> None:  # noqa: ANN001, F811
    from interviewprep.gemini import gemini_client

    settings.GEMINI_API_KEY = "wrong-key"
    gemini_client.reset()
    with pytest.raises(GeminiError) as caught:
        gemini_generate(schema=Feedback, system="s", prompt="p")
    assert caught.value.reason == "http_400"
    assert len(gemini_fake.requests) == 1


def test_unreachable_server_falls_back(gemini_fake, spoken, settings) -> None:  # noqa: ANN001, F811
    from interviewprep.gemini import gemini_client

    settings.GEMINI_BASE_URL = "http://127.0.0.1:9"  # discard port: connection refused
    settings.GEMINI_RETRIES = 0
    gemini_client.reset()
    assert answer_feedback_generate(answer_id=spoken.pk).feedback_engine == "offline"


def test_large_disagreement_is_flagged_and_the_measured_score_kept(gemini_fake, spoken) -> None:  # noqa: ANN001, F811
    from rag.feedback.coach import coach_feedback, coach_input_from_answer

    offline = coach_feedback(coach_input_from_answer(spoken)).scores
    gemini_fake.reset(mode="ok", payload=gemini_payload(content=5, structure=offline.structure,
                                                        delivery=offline.delivery))
    answer = answer_feedback_generate(answer_id=spoken.pk, force=True)
    stored = StoredFeedback.model_validate(answer.feedback)
    assert stored.engine == "gemini"
    assert set(stored.disagreement) == {"content"}
    assert stored.disagreement["content"] == 5 - 70
    assert stored.scores.content == 70  # the offline (measured) one
    assert stored.scores.structure == offline.structure


def test_gemini_cannot_override_withheld_delivery_or_skip_evidence(gemini_fake, candidate, answer_factory) -> None:  # noqa: ANN001, F811
    typed = answer_factory(user=candidate, input_mode="text", transcript=TRANSCRIPT, content_score=60.0,
                           status="processing")
    payload = gemini_payload(delivery=90)
    payload["improvements"].append({"title": "Be more confident", "detail": "Generic advice.", "evidence": [],
                                    "category": "hedges"})
    gemini_fake.reset(mode="ok", payload=payload)
    answer = answer_feedback_generate(answer_id=typed.pk)
    stored = StoredFeedback.model_validate(answer.feedback)
    assert stored.engine == "gemini"
    assert stored.scores.delivery is None and answer.delivery_score is None
    assert any("typed" in w for w in stored.withheld)
    assert [p.title for p in stored.improvements] == ["Say when not to index"]


def test_service_is_idempotent_unless_forced(gemini_fake, spoken) -> None:  # noqa: ANN001, F811
    gemini_fake.reset(mode="ok", payload=gemini_payload())
    first = answer_feedback_generate(answer_id=spoken.pk)
    gemini_fake.reset(mode="ok", payload=gemini_payload(structure=75))
    again = answer_feedback_generate(answer_id=spoken.pk)
    assert again.feedback == first.feedback and gemini_fake.requests == []
    forced = answer_feedback_generate(answer_id=spoken.pk, force=True)
    assert forced.structure_score == 75 and len(gemini_fake.requests) == 1


def test_offline_when_not_configured_is_deterministic(spoken, settings) -> None:  # noqa: ANN001
    settings.GEMINI_API_KEY = ""
    first = answer_feedback_generate(answer_id=spoken.pk)
    assert first.feedback_engine == "offline"
    second = answer_feedback_generate(answer_id=spoken.pk, force=True)
    assert second.feedback == first.feedback
    assert second.delivery_score == first.delivery_score is not None


def test_pipeline_task_runs_the_service(spoken, settings) -> None:  # noqa: ANN001
    from rag.tasks import answer_feedback

    settings.GEMINI_API_KEY = ""
    result = answer_feedback.apply(args=(spoken.pk, False))
    assert result.successful() and result.get() == spoken.pk
    spoken.refresh_from_db()
    assert spoken.feedback_engine == "offline" and spoken.feedback["scores"]["content"] == 70
