"""A small world for the cohort and API tests: an instructor's cohort with the candidate as a member, the
candidate's interview (with a scored answer and a report), an assignment, a study plan, a resume, and a few bank
questions of a topic of our own (so the tests do not depend on the shipped bank's contents)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

TOPIC = "cohort-test-topic"


def bank_topic() -> Any:
    """A technical topic with two subtopics and six bank questions (ids prefixed `cohorttest-`)."""
    from mastery.models import Subtopic, Topic
    from rag.models import BankQuestion

    # Distinct questions: interviews never hold two near-duplicates, so templated texts would be drawn only once.
    texts = {"indexes": ("How does a B-tree index speed up a lookup on a large table?",
                         "When would the query planner decide not to use an index at all?",
                         "What does every extra index cost when rows are inserted or updated?"),
             "joins": ("Which rows does an inner join return when one side has no match?",
                       "Why would you choose a left outer join for a report of customers?",
                       "How does a hash join differ from a nested loop join in speed and memory?")}
    topic, _ = Topic.objects.get_or_create(slug=TOPIC, defaults={"name": "Cohort test topic", "kind": "technical"})
    for s_slug, s_name in (("indexes", "Indexes"), ("joins", "Joins")):
        subtopic, _ = Subtopic.objects.get_or_create(topic=topic, slug=s_slug, defaults={"name": s_name})
        for i in range(1, 4):
            BankQuestion.objects.get_or_create(ext_id=f"cohorttest-{s_slug}-{i}", defaults={
                "topic": topic, "subtopic": subtopic, "difficulty": 1 + (i % 3),
                "text": texts[s_slug][i - 1],
                "reference_answer": f"A reference answer about {s_name.lower()} " * 8,
                "key_points": [f"{s_name} point one", f"{s_name} point two", f"{s_name} point three"],
                "hint": "Think about trade-offs."})
    return topic


def interview(*, owner: Any, created_at: Any = None, content: float | None = 62.0, delivery: float | None = 70.0,
              subtopic_slug: str = "indexes", status: str = "active", assignment: Any = None) -> Any:
    """An interview of one question with one scored answer (as the pipeline would leave it), made directly."""
    from mastery.models import Subtopic
    from sessions.models import Answer, InterviewSession, SessionQuestion

    topic = bank_topic()
    subtopic = Subtopic.objects.get(topic=topic, slug=subtopic_slug)
    session = InterviewSession.objects.create(owner=owner, mode="technical", planned_count=1, status=status,
                                              started_at=timezone.now(), assignment=assignment)
    session.topics.set([topic])
    if created_at is not None:  # auto_now_add: move it afterwards
        InterviewSession.objects.filter(pk=session.pk).update(created_at=created_at, started_at=created_at)
        session.refresh_from_db()
    question = SessionQuestion.objects.create(session=session, position=1, text="What is an index?", topic=topic,
                                              subtopic=subtopic, difficulty=2, status="answered",
                                              key_points=["speeds reads"])
    if content is not None:
        Answer.objects.create(question=question, user=owner, attempt=1, input_mode="text", status="scored",
                              transcript="An index is a sorted structure that speeds up reads.",
                              content_score=content, delivery_score=delivery, scored_at=timezone.now(),
                              key_points_covered=["speeds reads"], feedback={"summary": "Good start."})
    return session


@dataclass
class World:
    cohort: Any
    membership: Any
    session: Any
    question: Any
    answer: Any
    report: Any
    assignment: Any
    plan_item: Any
    resume: Any
    bank_question: Any


def build_world(*, candidate: Any, instructor: Any) -> World:
    from accounts import services
    from accounts.models import CohortMembership, Resume
    from mastery.models import StudyPlan, StudyPlanItem
    from rag.models import BankQuestion
    from sessions.models import Report
    from sessions.services import assignment_create

    bank_topic()
    cohort = services.cohort_create(owner=instructor, name="Spring cohort")
    membership = services.cohort_join(user=candidate, invite_code=cohort.invite_code)
    CohortMembership.objects.filter(pk=membership.pk).update(joined_at=timezone.now() - timedelta(days=30))
    membership.refresh_from_db()
    session = interview(owner=candidate, created_at=timezone.now() - timedelta(days=2))
    question = session.questions.get()
    answer = question.answers.get()
    report = Report.objects.create(session=session, status="ready", content_score=62, delivery_score=70,
                                   data={"summary": "Solid basics."})
    assignment = assignment_create(cohort=cohort, created_by=instructor, title="Indexes drill",
                                            topic_slugs=[TOPIC], question_count=2,
                                            due_at=timezone.now() + timedelta(days=3))
    plan = StudyPlan.objects.create(user=candidate, summary="Practise joins.")
    plan_item = StudyPlanItem.objects.create(plan=plan, kind="practice", title="Practise 3 join questions",
                                             position=0)
    resume = Resume.objects.create(user=candidate, original_name="cv.txt", file_type="txt", size_bytes=10,
                                   status="ready", text="Python developer")
    return World(cohort=cohort, membership=membership, session=session, question=question, answer=answer,
                 report=report, assignment=assignment, plan_item=plan_item, resume=resume,
                 bank_question=BankQuestion.objects.get(ext_id="cohorttest-indexes-1"))


ROLES = ("anonymous", "candidate", "other_candidate", "instructor", "other_instructor", "admin")
