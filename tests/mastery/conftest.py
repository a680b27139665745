"""Crafted answer histories for the mastery tests: real rows (sessions, questions, answers), no mocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture
def catalogue(db):  # noqa: ANN001, ANN201
    """Two knowledge topics with subtopics of their own (apart from the bank's, so counts are exact)."""
    from mastery.models import Subtopic, Topic

    algo = Topic.objects.create(slug="t-algo", name="Test Algorithms", kind="technical")
    story = Topic.objects.create(slug="t-story", name="Test Stories", kind="behavioral")
    subs = {
        "sorting": Subtopic.objects.create(topic=algo, slug="sorting", name="Sorting"),
        "graphs": Subtopic.objects.create(topic=algo, slug="graphs", name="Graphs"),
        "hashing": Subtopic.objects.create(topic=algo, slug="hashing", name="Hashing"),
        "conflict": Subtopic.objects.create(topic=story, slug="conflict", name="Conflict"),
    }
    return {"algo": algo, "story": story, **subs}


class History:
    """Writes answers as the pipeline would leave them (scored), optionally applying mastery at once."""

    def __init__(self, user: Any) -> None:
        from sessions.models import InterviewSession

        self.user = user
        self.session = InterviewSession.objects.create(owner=user, status="completed")
        self.position = 0
        self.start = timezone.now() - timedelta(days=30)

    def new_session(self) -> Any:
        from sessions.models import InterviewSession

        self.session = InterviewSession.objects.create(owner=self.user, status="completed")
        return self.session

    def answer(self, subtopic: Any, score: float | None, *, difficulty: int = 2, at: datetime | None = None,
               delivery: dict[str, Any] | None = None, signal: dict[str, Any] | None = None,
               duration_s: float | None = None, missed: list[str] | None = None, voice: bool | None = None,
               transcript: str = "", apply: bool = True) -> Any:
        from mastery.services import mastery_apply_answer
        from sessions.models import Answer, SessionQuestion

        self.position += 1
        question = SessionQuestion.objects.create(
            session=self.session, position=self.position, text=f"Question {self.position}",
            topic=subtopic.topic, subtopic=subtopic, difficulty=difficulty, status="answered")
        voice = voice if voice is not None else bool(delivery or signal)
        at = at or timezone.now()
        answer = Answer.objects.create(
            question=question, user=self.user, status="scored", content_score=score,
            input_mode="voice" if voice else "text", delivery=delivery or {}, signal=signal or {},
            duration_s=duration_s if duration_s is not None else (60.0 if voice else None),
            key_points_missed=missed or [], ended_at=at, scored_at=at, transcript=transcript)
        if apply:
            mastery_apply_answer(answer_id=answer.pk)
            answer.refresh_from_db()
        return answer


@pytest.fixture
def history(candidate, catalogue):  # noqa: ANN001, ANN201
    return History(candidate)


@pytest.fixture
def other_history(other_candidate, catalogue):  # noqa: ANN001, ANN201
    return History(other_candidate)


def spoken(*, wpm: float = 140, fillers: int = 1, long_pauses: int = 0, pause_total_s: float = 8.0,
           pitch: float = 3.5, duration_s: float = 60.0, **signal: Any) -> dict[str, Any]:
    """Keyword arguments for History.answer describing a spoken answer's measured delivery, in the keys the
    transcript (`delivery`) and signal streams store."""
    return {"delivery": {"wpm": wpm, "filler_count": fillers, "articulation_wpm": wpm * 1.2},
            "signal": {"duration_s": duration_s, "pause_total_s": pause_total_s, "pitch_std_st": pitch,
                       "long_pause_count": long_pauses, "speaking_time_s": duration_s - pause_total_s,
                       "silence_fraction": pause_total_s / duration_s, **signal},
            "duration_s": duration_s, "transcript": " ".join(["word"] * round(wpm * duration_s / 60))}
