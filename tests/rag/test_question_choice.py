"""Question choice: each mode's own topics, a moderate start and difficulty that follows the answers (never up after
a wrong one), no near-duplicates in one interview, and the reason each question was chosen shown in the room."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mastery.models import Topic
from rag.selection import (
    DIFFICULTY_START,
    NEAR_DUPLICATE,
    difficulty_next,
    question_vectors,
    questions_choose,
    questions_from_bank,
)
from sessions.models import Answer, AnswerStatus
from sessions.selectors import asked_history
from sessions.services import InterviewError, InterviewSpec, interview_difficulty_adapt, interview_start

pytestmark = pytest.mark.django_db


def test_difficulty_follows_the_answer_and_a_wrong_answer_never_raises_it() -> None:
    assert difficulty_next(current=2, content_score=85, contradicted=0) == 3
    assert difficulty_next(current=2, content_score=85, contradicted=1) == 1  # confident but wrong: easier
    assert difficulty_next(current=2, content_score=30, contradicted=0) == 1
    assert difficulty_next(current=2, content_score=60, contradicted=0) == 2
    assert difficulty_next(current=3, content_score=95, contradicted=0) == 3
    assert difficulty_next(current=1, content_score=10, contradicted=2) == 1
    assert difficulty_next(current=2, content_score=None, contradicted=0) == 2
    for score in range(0, 101, 5):
        assert difficulty_next(current=2, content_score=score, contradicted=1) <= 2


def test_a_mode_never_offers_another_kind_of_topic(candidate) -> None:  # noqa: ANN001
    career = Topic.objects.filter(kind="behavioral").first()
    technical = Topic.objects.filter(kind="technical").first()
    with pytest.raises(InterviewError, match="does not ask") as caught:
        interview_start(user=candidate, spec=InterviewSpec(mode="technical", topic_slugs=(career.slug,)))
    assert caught.value.code == "bad_topic"
    with pytest.raises(InterviewError, match="does not ask"):
        interview_start(user=candidate, spec=InterviewSpec(mode="behavioral", topic_slugs=(technical.slug,)))
    # Below the form and the API: the choice itself draws only the mode's kinds, even if handed another topic.
    plans, _ = questions_choose(user=candidate, mode="technical", topics=[career, technical], difficulty=0, count=6,
                                history=asked_history(user=candidate))
    assert plans and {p.topic.kind for p in plans} == {"technical"}
    session = interview_start(user=candidate, spec=InterviewSpec(mode="mixed",
                                                                 topic_slugs=(career.slug, technical.slug)))
    assert {q.topic.kind for q in session.questions.all()} == {"technical", "behavioral"}


def test_adaptive_interviews_start_moderate(candidate) -> None:  # noqa: ANN001
    session = interview_start(user=candidate, spec=InterviewSpec(mode="technical", count=8))
    difficulties = list(session.questions.order_by("position").values_list("difficulty", flat=True))
    assert difficulties == [DIFFICULTY_START] * 8


def test_no_two_near_duplicates_in_one_interview(candidate) -> None:  # noqa: ANN001
    # The closest pair of active questions in the bank: containers against virtual machines, asked two ways.
    pair = ["cloud-devops-001", "operating-systems-035"]
    vectors = question_vectors(pair)
    assert float(vectors[pair[0]] @ vectors[pair[1]]) >= NEAR_DUPLICATE
    assert [p.bank_question.ext_id for p in questions_from_bank(ext_ids=pair)] == [pair[0]]
    topics = list(Topic.objects.filter(slug__in=["cloud-devops", "operating-systems"]))
    for difficulty in (0, 1, 3):
        plans, _ = questions_choose(user=candidate, mode="technical", topics=topics, difficulty=difficulty,
                                    count=20, history=asked_history(user=candidate))
        ids = [p.bank_question.ext_id for p in plans]
        vectors = question_vectors(ids)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                assert float(vectors[a] @ vectors[b]) < NEAR_DUPLICATE, (a, b)


def _answer(question, user, *, score: float, contradicted: int = 0) -> Answer:  # noqa: ANN001
    return Answer.objects.create(question=question, user=user, status=AnswerStatus.SCORED, content_score=score,
                                 key_points_contradicted=[{"point": "p", "sentence": "s"}] * contradicted)


def test_the_next_question_follows_the_last_answer(candidate) -> None:  # noqa: ANN001
    topic = Topic.objects.get(slug="databases")
    session = interview_start(user=candidate, spec=InterviewSpec(mode="technical", topic_slugs=(topic.slug,),
                                                                 count=4))
    first, second, third, fourth = session.questions.order_by("position")
    # A confident answer that contradicts a key point: easier next, never harder.
    changed = interview_difficulty_adapt(answer=_answer(first, candidate, score=90, contradicted=1))
    assert changed is not None and changed.pk == second.pk and changed.difficulty == 1
    assert changed.rationale.startswith("easier after your last answer")
    assert changed.bank_question.difficulty == 1 and changed.text == changed.bank_question.text
    # A strong answer at level 1 earns level 2, which the next question already has: nothing to change.
    assert interview_difficulty_adapt(answer=_answer(changed, candidate, score=88)) is None
    # A strong, correct answer at level 2: harder next.
    changed = interview_difficulty_adapt(answer=_answer(third, candidate, score=92))
    assert changed is not None and changed.pk == fourth.pk and changed.difficulty == 3
    assert changed.rationale.startswith("harder after your last answer")
    ids = list(session.questions.values_list("bank_question__ext_id", flat=True))
    assert len(ids) == len(set(ids))


def test_fixed_difficulty_interviews_do_not_adapt(candidate) -> None:  # noqa: ANN001
    session = interview_start(user=candidate, spec=InterviewSpec(mode="technical", difficulty=2, count=3))
    first = session.questions.order_by("position").first()
    assert interview_difficulty_adapt(answer=_answer(first, candidate, score=95)) is None


def test_the_room_shows_why_each_question_was_chosen(candidate, candidate_client) -> None:  # noqa: ANN001
    session = interview_start(user=candidate, spec=InterviewSpec(mode="technical", count=3))
    reasons = list(session.questions.values_list("rationale", flat=True))
    assert all(reasons)
    page = candidate_client.get(reverse("interviews:room", args=[session.pk])).content.decode()
    assert "Why this question:" in page and reasons[0] in page
    state = candidate_client.get(reverse("interviews:state", args=[session.pk])).json()
    assert [q["rationale"] for q in state["questions"]] == reasons
