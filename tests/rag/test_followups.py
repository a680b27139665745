"""The follow-up rule, one test per rule, on the real bank (loaded for every run) and a real database; the table of
written answers scored through the real pipeline scorer (tests/data/followups/answers.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mastery.models import Topic
from rag import followups as fu
from rag.followups import (
    DIFFERENTLY_PROBE,
    FOLLOW_UP_CAP_PER_INTERVIEW,
    OUTCOME_PROBE,
    OWN_PART_PROBE,
    WEAKNESS_PROBE,
    bank_follow_up_fit,
    followup_decide,
    gives_away,
)
from rag.models import BankQuestion
from sessions.models import Answer, AnswerStatus, InterviewSession, SessionQuestion

pytestmark = pytest.mark.django_db


def ask(user, bank: BankQuestion | None = None, *, session: InterviewSession | None = None, position: int = 1,  # noqa: ANN001
        score: float | None = 60, missed: list[str] | None = None, contradicted: list[dict] | None = None,
        flags: list[str] | None = None, **question_fields: object) -> Answer:
    """An answer already scored with the given verdicts (the scorer's own output is exercised by the table test)."""
    session = session or InterviewSession.objects.create(owner=user, mode="technical")
    fields = ({"text": bank.text, "topic": bank.topic, "subtopic": bank.subtopic, "difficulty": bank.difficulty,
               "bank_question": bank, "reference_answer": bank.reference_answer, "key_points": list(bank.key_points),
               "hint": bank.hint} if bank is not None else {}) | question_fields
    question = SessionQuestion.objects.create(session=session, position=position, **fields)
    return Answer.objects.create(
        question=question, user=user, transcript="an answer", input_mode="text", status=AnswerStatus.PROCESSING,
        content_score=score, key_points_missed=[{"point": p, "similarity": 0.1, "closest": ""} for p in missed or []],
        key_points_contradicted=contradicted or [],
        red_flags=[{"code": c, "message": "m", "severity": "fail" if c == "off_question" else "major",
                    "sentence": ""} for c in flags or []])


def technical(**filters: object) -> list[BankQuestion]:
    found = list(BankQuestion.objects.filter(topic__kind="technical", is_active=True, **filters).order_by("ext_id"))
    assert len(found) >= 20, "the real bank is loaded for every run"
    return found


def asked_text(decision: fu.FollowUpDecision) -> str:
    assert decision.question_fields is not None, decision
    return decision.question_fields["text"]


def assert_never_gives_away(decision: fu.FollowUpDecision, points: list[str]) -> None:
    shown = [asked_text(decision), decision.reason, decision.question_fields["rationale"]]
    for point in points:
        assert not any(gives_away(text, point) for text in shown), (point, shown)


def test_gives_away_catches_the_text_and_most_of_its_words() -> None:
    point = "A left join keeps every row from the left table."
    assert gives_away("Let's go deeper. A left join keeps every row from the left table. Why?", point)
    assert gives_away("Does a LEFT JOIN keep every row of the left-hand tables?", point)  # 60 % of its words
    assert not gives_away("What happens to a customer with no orders when you join customers first?", point)
    assert not gives_away("Anything at all", "")


@pytest.mark.slow
def test_missed_point_bank_follow_up_first_then_probe_then_generic(candidate) -> None:  # noqa: ANN001
    bank = next(q for q in technical(difficulty=2) if q.follow_ups and any(
        bank_follow_up_fit(p, q.key_points, q.follow_ups) for p in q.key_points))
    fitted_point = next(p for p in bank.key_points if bank_follow_up_fit(p, bank.key_points, bank.follow_ups))
    decision = followup_decide(answer=ask(candidate, bank, missed=[fitted_point]))
    assert decision.rule == "bank_follow_up" and asked_text(decision) in bank.follow_ups
    assert decision.point == fitted_point and decision.question_fields["key_points"] == [fitted_point]
    assert_never_gives_away(decision, bank.key_points)
    # A point no follow-up fits: the bank's own probe for that very point.
    unfitted = next((i, p) for q in technical(difficulty=2) for i, p in enumerate(q.key_points)
                    if q.pk == bank.pk and not bank_follow_up_fit(p, q.key_points, q.follow_ups))
    decision = followup_decide(answer=ask(candidate, bank, missed=[unfitted[1]]))
    assert decision.rule == "bank_probe" and asked_text(decision) == bank.probes[unfitted[0]]
    assert_never_gives_away(decision, bank.key_points)
    # No bank question (a generated one): a generic probe that names only the subtopic.
    points = ["Hash tables resolve collisions by chaining or open addressing.", "Resizing keeps the load factor low."]
    decision = followup_decide(answer=ask(candidate, None, missed=[points[0]], text="How do hash tables work?",
                                          topic=bank.topic, subtopic=bank.subtopic, difficulty=2,
                                          key_points=points, source="generated"))
    assert decision.rule == "generic_probe" and bank.subtopic.name in asked_text(decision)
    assert_never_gives_away(decision, points)


@pytest.mark.slow
def test_the_old_probe_that_read_the_point_aloud_is_gone(candidate) -> None:  # noqa: ANN001
    """Every technical question of the bank, its first point missed: nothing asked states any of its points."""
    for bank in technical()[::6]:
        decision = followup_decide(answer=ask(candidate, bank, missed=[bank.key_points[0]]))
        assert decision.action in ("follow_up", "simpler") and "one level deeper" not in asked_text(decision)
        assert_never_gives_away(decision, bank.key_points)


def test_contradicted_point_gets_a_chance_to_correct_it_without_the_answer(candidate) -> None:  # noqa: ANN001
    bank = technical(difficulty=2)[0]
    core = bank.key_points[0]
    decision = followup_decide(answer=ask(candidate, bank, score=90, contradicted=[
        {"point": core, "sentence": "the opposite claim", "correction": core}]))
    assert decision.action == "correct" and decision.rule == "bank_probe" and asked_text(decision) == bank.probes[0]
    assert decision.question_fields["difficulty"] == bank.difficulty
    assert_never_gives_away(decision, bank.key_points)
    # Without a bank probe: the candidate's own claim is quoted back, unless it states the point itself.
    points = ["An index speeds up reads but slows down writes.", "Composite indexes follow the leftmost prefix."]
    common = {"text": "What does an index cost?", "topic": bank.topic, "subtopic": bank.subtopic, "difficulty": 2,
              "key_points": points, "source": "generated"}
    quoted = followup_decide(answer=ask(candidate, None, score=70, contradicted=[
        {"point": points[0], "sentence": "Indexes make every query faster with no downside.", "correction": ""}],
        **common))
    assert quoted.rule == "quote_check" and "Indexes make every query faster" in asked_text(quoted)
    generic = followup_decide(answer=ask(candidate, None, score=70, contradicted=[
        {"point": points[0], "sentence": "An index slows down reads and speeds up writes.", "correction": ""}],
        **common))
    assert generic.rule == "generic_check" and "slows down reads" not in asked_text(generic)
    for decision in (quoted, generic):
        assert_never_gives_away(decision, points)


def behavioral_bank(text: str) -> BankQuestion:
    found = BankQuestion.objects.filter(text=text, is_active=True).first()
    assert found is not None, f"the bank has no behavioral question {text!r}"
    return found


@pytest.mark.slow
def test_behavioral_probes_come_from_what_is_missing_never_the_rubric(candidate) -> None:  # noqa: ANN001
    bank = behavioral_bank("Tell me about a time you worked as part of a team to deliver something you are proud of.")
    cases = {("no_result",): OUTCOME_PROBE, ("we_only",): OWN_PART_PROBE, ("blame",): OWN_PART_PROBE,
             ("we_only", "no_result"): OWN_PART_PROBE}
    for flags, probe in cases.items():
        # Weak answers too: a behavioral answer is probed on the same story, never sent to another question.
        decision = followup_decide(answer=ask(candidate, bank, score=20, flags=list(flags)))
        assert asked_text(decision) == probe and decision.question_fields["bank_question"] is None, flags
        assert_never_gives_away(decision, bank.key_points)
    from rag.behavioral import rubric_kinds

    kinds = dict(zip(bank.key_points, rubric_kinds(bank.key_points), strict=True))
    result = next(p for p, k in kinds.items() if k in ("result", "number"))
    lesson = next(p for p, k in kinds.items() if k == "reflection")
    assert asked_text(followup_decide(answer=ask(candidate, bank, score=60, missed=[result]))) == OUTCOME_PROBE
    assert asked_text(followup_decide(answer=ask(candidate, bank, score=60, missed=[lesson]))) == DIFFERENTLY_PROBE
    # A story off the question is not probed (and never promoted).
    assert followup_decide(answer=ask(candidate, bank, score=90, flags=["off_question"])).action == "next"


@pytest.mark.slow
def test_disguised_strength_gets_a_weakness_that_cost_something_never_a_strength_question(candidate) -> None:  # noqa: ANN001
    from rag.services import answer_score_content

    bank = behavioral_bank("What is your greatest weakness?")
    strength = behavioral_bank("What is your greatest strength?")
    assert strength.subtopic == bank.subtopic and strength.difficulty < bank.difficulty  # what used to be chosen
    answer = ask(candidate, bank, score=None)
    Answer.objects.filter(pk=answer.pk).update(
        transcript="To be honest I hold myself to really high standards. I can't switch off until everything is "
                   "exactly right, and my managers have always liked that about me.")
    answer_score_content(answer_id=answer.pk)
    answer.refresh_from_db()
    assert "disguised_strength" in {f["code"] for f in answer.red_flags} and answer.content_score < fu.WEAK_SCORE
    decision = followup_decide(answer=answer)
    assert asked_text(decision) == WEAKNESS_PROBE and decision.rule == "disguised_strength"
    assert decision.question_fields["bank_question"] is None and "strength" not in asked_text(decision).lower()


def test_caps_per_topic_and_per_interview(candidate) -> None:  # noqa: ANN001
    banks = technical(difficulty=2)
    topics = list(Topic.objects.filter(kind="technical", bank_questions__isnull=False).distinct()[:5])
    assert len(topics) > FOLLOW_UP_CAP_PER_INTERVIEW
    session = InterviewSession.objects.create(owner=candidate, mode="technical")
    for i, topic in enumerate(topics[:FOLLOW_UP_CAP_PER_INTERVIEW]):  # one follow-up on each of three topics
        parent = SessionQuestion.objects.create(session=session, position=10 + 2 * i, text="q", topic=topic)
        SessionQuestion.objects.create(session=session, position=11 + 2 * i, text="f", topic=topic,
                                       source="follow_up", parent=parent)
    fresh = next(b for b in banks if b.topic_id not in {t.pk for t in topics[:FOLLOW_UP_CAP_PER_INTERVIEW]})
    capped = followup_decide(answer=ask(candidate, fresh, session=session, position=1, missed=[fresh.key_points[0]]))
    assert capped.action == "next" and "in this interview already" in capped.reason
    # The same answer in an interview with room for one more gets its follow-up: the cap, not the answer, said no.
    free = followup_decide(answer=ask(candidate, fresh, missed=[fresh.key_points[0]]))
    assert free.action == "follow_up"


def test_bad_table_input_gets_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "kind": "k", "question": "Not a question of the bank at all?", "answer": "a"}\n')
    with pytest.raises(CommandError, match="not an active bank question"):
        call_command("followup_table", file=bad)
    bad.write_text('{"id": "x", "kind": "k"\n')
    with pytest.raises(CommandError, match="line 1: not JSON"):
        call_command("followup_table", file=bad)
    with pytest.raises(CommandError, match="no such file"):
        call_command("followup_table", file=tmp_path / "missing.jsonl")


@pytest.mark.slow
def test_disguised_strength_detector_on_its_two_sets() -> None:
    from rag.followup_evaluation import disguised_evaluate

    tuning, _ = disguised_evaluate(split="tuning")
    heldout, wrong = disguised_evaluate(split="heldout")
    assert tuning.precision == 1.0 and tuning.recall == 1.0
    # Held out, written separately: no false alarm, two thirds found (docs/followups.md has the figures).
    assert heldout.fp == 0 and heldout.recall >= 0.66, wrong


@pytest.mark.slow
def test_the_table_of_written_answers(capsys, tmp_path: Path) -> None:  # noqa: ANN001
    """40 written answers through the real scorer: no question states its key point, never harder after a wrong
    answer, a disguised strength gets the weakness probe; and the command leaves nothing behind."""
    from sessions.followup_table import ANSWERS, answers_read, followup_table_run

    rows = followup_table_run(rows=answers_read(ANSWERS))
    assert len(rows) == 40 and not Answer.objects.exists() and not InterviewSession.objects.exists()
    by_kind: dict[str, list] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
        for point in row.key_points:
            assert row.asked is None or not gives_away(row.asked, point), (row.id, point, row.asked)
        if row.wrong or row.kind in ("technical-wrong", "technical-off-topic"):
            assert row.action != "deeper", row
        assert "greatest strength" not in (row.asked or "").lower(), row
    assert {"technical-correct", "technical-partial", "technical-wrong", "technical-off-topic",
            "behavioral-no-result", "behavioral-blame", "behavioral-we-only", "behavioral-good", "weakness-real",
            "weakness-disguised"} <= by_kind.keys()
    for row in rows:  # whenever the judge found a strength offered as the weakness, the weakness probe follows
        assert (row.asked == WEAKNESS_PROBE) == ("disguised_strength" in row.flags), row
    # The detector on this set, which it was not tuned on: 7 of the 8 disguised strengths (the miss, "I'm extremely
    # reliable ...", is a phrasing no cue family covers; docs/followups.md).
    assert sum("disguised_strength" in r.flags for r in by_kind["weakness-disguised"]) >= 7
    for row in by_kind["weakness-real"]:
        assert row.asked != WEAKNESS_PROBE, row
    # The command prints the same decisions (on a few lines of the file, to keep the run short).
    few = tmp_path / "few.jsonl"
    few.write_text("".join(line + "\n" for line in ANSWERS.read_text().splitlines()[::13]))
    call_command("followup_table", "--json", file=few)
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [p["asked"] for p in printed] == [r.asked for r in rows[::13]]
