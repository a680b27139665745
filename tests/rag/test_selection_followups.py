"""Question choice (mode, topics, difficulty, history, mastery, resume) and adaptive follow-ups, on the real bank."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mastery.models import SubtopicMastery, Topic
from rag.followups import FOLLOW_UP_CAP_PER_TOPIC, followup_decide
from rag.models import BankQuestion
from rag.selection import LOGISTICS_TAG, questions_choose
from sessions.models import Answer, AnswerStatus, InterviewSession, SessionQuestion
from sessions.selectors import asked_history

pytestmark = pytest.mark.django_db


def need_bank() -> None:
    # The bank is loaded for every test run (tests/conftest.py): too few questions is a defect, not a skip.
    assert BankQuestion.objects.filter(topic__kind="behavioral").count() >= 5
    assert BankQuestion.objects.filter(topic__kind="technical").count() >= 20


def choose(user, **kwargs):  # noqa: ANN001, ANN201
    spec = {"mode": "technical", "topics": [], "difficulty": 0, "count": 5} | kwargs
    plans, engine = questions_choose(user=user, history=asked_history(user=user), **spec)
    assert engine == "bank"
    return plans


def test_mode_topics_and_difficulty_are_respected(candidate) -> None:  # noqa: ANN001
    need_bank()
    assert {p.topic.kind for p in choose(candidate, mode="technical", count=8)} == {"technical"}
    assert {p.topic.kind for p in choose(candidate, mode="behavioral", count=4)} == {"behavioral"}
    mixed = choose(candidate, mode="mixed", count=6)
    kinds = [p.topic.kind for p in mixed]
    assert kinds.count("behavioral") == 2 and kinds[0] == "technical"
    topic = BankQuestion.objects.filter(topic__kind="technical").first().topic
    plans = choose(candidate, topics=[topic], difficulty=2, count=4)
    assert plans and all(p.topic == topic and p.difficulty == 2 and p.bank_question.difficulty == 2 for p in plans)
    # Spread: no subtopic twice while others of the topic are left.
    subtopics = [p.subtopic.pk for p in plans]
    if topic.subtopics.count() >= len(plans):
        assert len(set(subtopics)) == len(subtopics)


def test_recently_asked_questions_are_avoided(candidate) -> None:  # noqa: ANN001
    need_bank()
    topic = BankQuestion.objects.filter(topic__kind="technical").first().topic
    first = choose(candidate, topics=[topic], count=4)
    session = InterviewSession.objects.create(owner=candidate, mode="technical")
    for position, plan in enumerate(first, start=1):
        SessionQuestion.objects.create(session=session, position=position, **plan.as_fields())
    second = choose(candidate, topics=[topic], count=4)
    assert not {p.bank_question.pk for p in first} & {p.bank_question.pk for p in second}


def test_due_and_weak_subtopics_come_first(candidate) -> None:  # noqa: ANN001
    need_bank()
    topic = Topic.objects.filter(kind="technical", bank_questions__isnull=False).distinct().first()
    weak = topic.subtopics.filter(bank_questions__isnull=False).distinct().order_by("slug").last()
    SubtopicMastery.objects.create(user=candidate, subtopic=weak, rating=-2.5,
                                   next_review_at=timezone.now() - timedelta(days=1))
    for attempt in range(3):  # across interview numbers (the jitter's seed changes)
        InterviewSession.objects.create(owner=candidate, mode="technical") if attempt else None
        plans = choose(candidate, mode="technical", count=3)
        assert plans[0].subtopic == weak and "due for review" in plans[0].rationale


def test_a_strong_subtopic_not_due_is_not_labelled_due_for_review(candidate) -> None:  # noqa: ANN001
    """Practised, strong, next review in 30 days: it may be asked, but never as "due for review"."""
    need_bank()
    topic = Topic.objects.filter(kind="technical", bank_questions__isnull=False).distinct().first()
    now = timezone.now()
    for sub in topic.subtopics.filter(bank_questions__isnull=False).distinct():
        SubtopicMastery.objects.create(user=candidate, subtopic=sub, rating=2.5, variance=0.2, evidence_count=6,
                                       last_score=0.95, last_practiced_at=now - timedelta(days=1),
                                       interval_days=30, next_review_at=now + timedelta(days=30))
    plans = choose(candidate, topics=[topic], count=4)
    assert plans and all(p.subtopic.topic == topic for p in plans)
    assert not [p.rationale for p in plans if "due for review" in p.rationale]


def test_behavioral_interviews_never_draw_logistics_questions(candidate) -> None:  # noqa: ANN001
    """Salary, notice period, relocation: facts to state, not answers to practise. Not in behavioral or mixed."""
    need_bank()
    template = BankQuestion.objects.filter(topic__kind="behavioral").order_by("ext_id").first()
    logistics = [BankQuestion.objects.create(
        ext_id=f"test-logistics-{i}", topic=template.topic, subtopic=template.subtopic, text=text,
        difficulty=template.difficulty, reference_answer=template.reference_answer,
        key_points=list(template.key_points), tags=[LOGISTICS_TAG]) for i, text in enumerate((
            "What salary are you expecting for this role?", "What is your notice period?",
            "Would you relocate for this job?"))]
    ids = {q.pk for q in logistics}
    everything = BankQuestion.objects.filter(topic__kind="behavioral", is_active=True).count()
    # Ask for every behavioral question there is: without the filter the logistics ones would be drawn too.
    plans = choose(candidate, mode="behavioral", count=everything)
    assert plans and not {p.bank_question.pk for p in plans} & ids
    assert not any(LOGISTICS_TAG in (p.bank_question.tags or []) for p in plans)
    mixed = choose(candidate, mode="mixed", count=everything)
    assert mixed and not {p.bank_question.pk for p in mixed if p.bank_question} & ids


def test_resume_mode_asks_about_the_candidates_projects(candidate, small_bank) -> None:  # noqa: ANN001
    from accounts.models import Resume

    resume = Resume.objects.create(
        user=candidate, original_name="cv.txt", file_type="txt", size_bytes=10, status="ready", text="...",
        parsed={"skills": ["Python", "PostgreSQL"], "projects": [
            {"name": "Trailmap", "description": "Trailmap: an offline hiking map app that indexes trails in "
                                                "PostgreSQL and serves them over a REST API.", "skills": []}]})
    plans = choose(candidate, mode="resume", count=5, resume=resume)
    assert plans[0].source == "resume" and "Trailmap" in plans[0].text and plans[0].key_points
    assert plans[0].topic is not None
    assert any(p.source == "bank" for p in plans) and len(plans) == 5


def test_job_description_pulls_relevant_questions_up(candidate, small_bank) -> None:  # noqa: ANN001
    from rag.services import job_description_create

    target = next(q for q in small_bank if q.topic.kind == "technical")
    job = job_description_create(user=candidate, title="Engineer",
                                 text=f"Requirements:\n- {target.text}\n- {target.key_points[0]}\n"
                                      "- Strong communication skills.")
    plans = choose(candidate, mode="technical", count=3, job_description=job)
    assert target.pk in {p.bank_question.pk for p in plans}


# --- follow-ups ------------------------------------------------------------------------------------------


def asked(user, bank: BankQuestion, *, score: float | None, missed: list[str] | None = None):  # noqa: ANN001, ANN201
    session = InterviewSession.objects.create(owner=user, mode="technical")
    question = SessionQuestion.objects.create(
        session=session, position=1, text=bank.text, topic=bank.topic, subtopic=bank.subtopic,
        difficulty=bank.difficulty, bank_question=bank, reference_answer=bank.reference_answer,
        key_points=list(bank.key_points), hint=bank.hint)
    answer = Answer.objects.create(question=question, user=user, transcript="an answer", input_mode="text",
                                   status=AnswerStatus.PROCESSING, content_score=score,
                                   key_points_missed=[{"point": p, "similarity": 0.1, "closest": ""}
                                                      for p in (missed or [])])
    return answer


def bank_with(**filters) -> BankQuestion:  # noqa: ANN003
    need_bank()
    found = BankQuestion.objects.filter(topic__kind="technical", **filters).order_by("ext_id").first()
    assert found is not None, f"the bank has no technical question with {filters}"
    return found


def test_missed_key_point_gets_a_probe_once(candidate) -> None:  # noqa: ANN001
    from sessions.scoring import answer_finalize

    bank = bank_with(difficulty=2)
    answer = asked(candidate, bank, score=55, missed=[bank.key_points[1]])
    decision = followup_decide(answer=answer)
    assert decision.action == "follow_up" and decision.point == bank.key_points[1]
    assert bank.key_points[1] not in decision.reason  # the room shows the reason: it never states the point
    fields = decision.question_fields
    assert fields["source"] == "follow_up" and fields["parent"] == answer.question
    assert fields["key_points"] == [bank.key_points[1]]
    assert decision == followup_decide(answer=answer)  # deterministic
    answer_finalize(answer_id=answer.pk)
    answer_finalize(answer_id=answer.pk)  # a retried task inserts nothing more
    session = answer.question.session
    follow = session.questions.get(source="follow_up")
    assert follow.position == 2 and follow.parent == answer.question
    assert followup_decide(answer=answer).action == "next"  # at most one per question


def test_weak_answer_gets_an_easier_question_and_strong_a_harder_one(candidate) -> None:  # noqa: ANN001
    bank = bank_with(difficulty=2)
    easier = BankQuestion.objects.filter(subtopic=bank.subtopic, difficulty=1).exists()
    harder = BankQuestion.objects.filter(subtopic=bank.subtopic, difficulty=3).exists()
    weak = followup_decide(answer=asked(candidate, bank, score=20, missed=list(bank.key_points)))
    if easier:
        assert weak.action == "simpler" and weak.question_fields["bank_question"].difficulty == 1
    else:
        assert weak.action == "follow_up"
    strong = followup_decide(answer=asked(candidate, bank, score=92))
    if harder:
        assert strong.action == "deeper" and strong.question_fields["bank_question"].difficulty == 3
        assert strong.question_fields["bank_question"].subtopic == bank.subtopic
    elif bank.follow_ups:
        assert strong.action == "deeper" and strong.question_fields["text"] == bank.follow_ups[0]
    middling = followup_decide(answer=asked(candidate, bank, score=70))
    assert middling.action == "next"


def test_no_follow_up_without_a_score_on_a_follow_up_or_past_the_topic_cap(candidate) -> None:  # noqa: ANN001
    bank = bank_with(difficulty=2)
    assert followup_decide(answer=asked(candidate, bank, score=None)).action == "next"
    answer = asked(candidate, bank, score=50, missed=[bank.key_points[0]])
    question = answer.question
    for i in range(FOLLOW_UP_CAP_PER_TOPIC):  # earlier questions of the same topic, each with its follow-up
        earlier = SessionQuestion.objects.create(session=question.session, position=10 + 2 * i, text="earlier",
                                                 topic=question.topic)
        SessionQuestion.objects.create(session=question.session, position=11 + 2 * i, text="earlier follow-up",
                                       topic=question.topic, source="follow_up", parent=earlier)
    assert "follow-ups on this topic already" in followup_decide(answer=answer).reason
    follow = SessionQuestion.objects.create(session=question.session, position=20, text="f", topic=question.topic,
                                            source="follow_up", parent=question)
    on_follow = Answer.objects.create(question=follow, user=candidate, content_score=10, input_mode="text")
    assert followup_decide(answer=on_follow).reason == "no follow-up on a follow-up"


@pytest.mark.slow
def test_score_task_writes_the_answer_and_is_idempotent(candidate) -> None:  # noqa: ANN001
    from rag.tasks import answer_score_content

    bank = bank_with(difficulty=2)
    answer = asked(candidate, bank, score=None)
    Answer.objects.filter(pk=answer.pk).update(transcript=bank.reference_answer)
    result = answer_score_content.apply(args=(answer.pk,))
    assert result.successful()
    answer.refresh_from_db()
    assert answer.content_score >= 80 and answer.similarity > 0.95
    assert len(answer.key_points_covered) + len(answer.key_points_missed) == len(bank.key_points)
    assert all({"point", "sentence", "similarity"} <= set(c) for c in answer.key_points_covered)
    Answer.objects.filter(pk=answer.pk).update(transcript="Something unrelated about gardening and tomatoes.")
    answer_score_content.apply(args=(answer.pk,))
    answer.refresh_from_db()
    assert answer.content_score >= 80  # not forced: kept
    answer_score_content.apply(args=(answer.pk, True))
    answer.refresh_from_db()
    assert answer.content_score < 10  # forced: re-scored


def test_a_wrong_answer_is_never_promoted_to_a_harder_question(candidate) -> None:  # noqa: ANN001
    from rag.followups import PASS_SCORE

    bank = bank_with(difficulty=2)
    core = bank.key_points[0]

    def decide(score: float, **fields: object):  # noqa: ANN202
        answer = asked(candidate, bank, score=score)
        Answer.objects.filter(pk=answer.pk).update(**fields)
        answer.refresh_from_db()
        return followup_decide(answer=answer)

    # A high score that contradicts a core point: a probe on that point at the same level, never a harder question.
    wrong = decide(92, key_points_contradicted=[{"point": core, "sentence": "the opposite", "correction": core}])
    assert wrong.action == "correct" and wrong.point == core and core not in wrong.reason
    assert wrong.question_fields["difficulty"] == bank.difficulty and wrong.question_fields["key_points"] == [core]
    assert wrong.question_fields["bank_question"] is None
    if bank.probes:
        assert wrong.question_fields["text"] == bank.probes[0]
    # A failing red flag (a story off the question) or a score under the pass mark: no harder question either.
    failing = decide(92, red_flags=[{"code": "off_question", "message": "m", "severity": "fail", "sentence": ""}])
    assert failing.action == "next" and "off_question" in failing.reason
    under = decide(PASS_SCORE - 1)
    assert under.action not in ("deeper",) and under.question_fields is None
    # The same score with nothing wrong is promoted when the bank has somewhere to go: the rule, not the score,
    # kept the wrong answers down.
    if BankQuestion.objects.filter(subtopic=bank.subtopic, difficulty=3).exists() or bank.follow_ups:
        assert decide(92).action == "deeper"
