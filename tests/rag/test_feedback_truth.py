"""Feedback that is true: quotes only for covered points, the Incorrect section (offline coach and the Gemini path),
red flags as explained improvements, and signpost and example detectors that do not fire on filler."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.feedback.coach import coach_feedback, coach_input_from_answer
from rag.feedback.services import answer_feedback_generate
from rag.feedback_schema import StoredFeedback
from tests.fakes.gemini_server import gemini_fake, gemini_server  # noqa: F401 - fixtures
from tests.rag.test_feedback_coach import KEY_POINTS, make

WRONG = {"point": KEY_POINTS[1], "sentence": "An index makes the database read every row of the table, only faster.",
         "correction": "An index avoids a full table scan by jumping to the matching rows.",
         "why": "Interviewers use indexes to check you know what a query costs; a wrong cost model fails the question."}
ANSWER = ("An index is a B-tree kept next to the table. An index makes the database read every row of the table, only "
          "faster. Every write has to maintain the tree, so writes get slower and the index uses disk space.")


def wrong_input():  # noqa: ANN201
    return make(ANSWER, mode="text", covered=((KEY_POINTS[0], "An index is a B-tree kept next to the table."),
                                              (KEY_POINTS[2], "writes get slower and the index uses disk space")),
                missed=(KEY_POINTS[3],))


def test_the_incorrect_section_lists_what_was_said_the_correction_and_why() -> None:
    feedback = coach_feedback(replace(wrong_input(), contradicted=(WRONG,)))
    assert len(feedback.incorrect) == 1
    item = feedback.incorrect[0]
    assert item.point == WRONG["point"] and item.said == WRONG["sentence"]
    assert item.correction == WRONG["correction"] and item.why == WRONG["why"]
    # The correction leads the stronger-answer outline and the improvements.
    # The correction as a clause: its own full stop does not land before the "(not …)".
    assert feedback.stronger_answer_outline[0].startswith("Correct: " + WRONG["correction"].rstrip(".") + " (not “")
    assert feedback.improvements[0].category == "incorrect"
    assert "every row" in feedback.improvements[0].detail
    assert "1 key point wrong" in feedback.summary
    verdicts = {v.index: v.verdict for v in feedback.verdicts}
    assert verdicts == {0: "covered", 1: "contradicted", 2: "covered", 3: "missed"}


def test_made_this_point_is_quoted_only_for_covered_points() -> None:
    feedback = coach_feedback(replace(wrong_input(), contradicted=(WRONG,)))
    made = [p for p in feedback.strengths if p.category == "key_points"]
    assert made and all("You made this point" in p.detail for p in made)
    assert all(WRONG["point"] not in p.title and WRONG["sentence"][:40] not in p.detail for p in made)
    assert {p.title.removeprefix("Covered: ") for p in made} <= {KEY_POINTS[0], KEY_POINTS[2]}
    # Without a contradiction the same answer has no Incorrect section.
    assert coach_feedback(wrong_input()).incorrect == []


@pytest.mark.django_db
def test_a_point_both_covered_and_contradicted_is_never_quoted_as_made(candidate, answer_factory) -> None:  # noqa: ANN001
    answer = answer_factory(
        user=candidate, transcript=ANSWER, input_mode="text", content_score=30.0, key_points=KEY_POINTS,
        key_points_covered=[{"point": WRONG["point"], "sentence": WRONG["sentence"], "similarity": 0.8}],
        key_points_missed=[], key_points_contradicted=[WRONG])
    inp = coach_input_from_answer(answer)
    assert inp.covered == () and inp.contradicted[0]["point"] == WRONG["point"]
    feedback = coach_feedback(inp)
    assert not [p for p in feedback.strengths if p.category == "key_points"]
    assert feedback.incorrect[0].said == WRONG["sentence"]


RAMBLE = (
    "So in my first job I was working at a small agency and then we had lots of different projects going on at "
    "the same time, and then I moved to another team where the people were really nice, and the office was near "
    "the station which was handy because I commuted by train, and then in my second year we had a big reorganisation "
    "and my manager changed, and the new manager liked to have meetings on Mondays and Fridays, which was fine, "
    "and then there were databases of course because every application has one, and we had a few tables that "
    "were quite big, and sometimes things were slow, and people said the database was slow, and then somebody "
    "said maybe we need an index or something, and I think they added something, and then it was faster I think "
    "but I am not sure, and then we moved on to another project, and that project was in a different language "
    "and the team was bigger, and we also had a lot of meetings there, and then the first release went out in "
    "spring and then there was another release in summer, and overall it was a good experience and I learned a "
    "lot about working with people and about projects in general and about how companies work and what to expect.")


def test_a_ramble_gets_no_signposting_praise_and_no_high_structure() -> None:
    assert 200 <= len(RAMBLE.split()) <= 240
    feedback = coach_feedback(replace(make(RAMBLE, mode="text", covered=(), missed=KEY_POINTS, content=12.0),
                                      relevance=0.2))
    titles = [p.title for p in feedback.strengths]
    assert not any(t.startswith("Clear signposting") for t in titles), titles
    assert not any(t == "Concrete example" for t in titles), titles  # "in my first job" is not an example
    assert feedback.scores.structure < 60
    # Real signposts at the start of clauses still count.
    organised = ("An index is a B-tree that finds rows without a full scan. First, it keeps keys sorted, so a lookup "
                 "is logarithmic. Second, every write must update it, which means writes get slower. For example, "
                 "indexing the customer id in our orders table cut a report from 30 seconds to 200 ms.")
    good = coach_feedback(replace(make(organised, mode="text"), relevance=0.95))
    assert any(p.title.startswith("Clear signposting") for p in good.strengths)
    assert any(p.title == "Concrete example" for p in good.strengths)


def test_behavioral_red_flags_are_improvements_with_their_explanation() -> None:
    flags = ({"code": "blame", "message": "The story puts the fault on others.", "severity": "major",
              "sentence": "It was not my fault, the QA team should have caught it."},
             {"code": "off_question", "message": "The story does not answer the question.", "severity": "fail",
              "sentence": "Last year I learned Kubernetes."})
    story = ("Last year a release broke checkout for two hours. It was not my fault, the QA team should have caught "
             "it. In the end we rolled back and the release went out a week later.")
    feedback = coach_feedback(replace(make(story, kind="behavioral", mode="text", question="Tell me about a mistake."),
                                      red_flags=flags, relevance=0.1))
    by_category = [p for p in feedback.improvements if p.category == "red_flag"]
    assert [p.title for p in by_category[:2]] == ["Answer the question that was asked",
                                                   "Own your part instead of blaming others"]
    assert by_category[1].detail == flags[0]["message"]
    assert by_category[1].evidence[0].text == flags[0]["sentence"]
    assert feedback.scores.structure <= 40  # a failing flag caps structure


@pytest.fixture
def wrong_answer(candidate, answer_factory):  # noqa: ANN001, ANN201
    return answer_factory(
        user=candidate, transcript=ANSWER, input_mode="text", content_score=35.0, key_points=KEY_POINTS,
        question="What is a database index?", reference_answer="An index is a B-tree. It avoids a full scan.",
        key_points_covered=[{"point": KEY_POINTS[0], "sentence": "An index is a B-tree kept next to the table."}],
        key_points_missed=[{"point": KEY_POINTS[2]}, {"point": KEY_POINTS[3]}], key_points_contradicted=[WRONG],
        status="processing")


@pytest.mark.django_db
def test_gemini_path_keeps_the_incorrect_section_and_records_verdict_disagreements(gemini_fake,  # noqa: F811
                                                                                  wrong_answer) -> None:  # noqa: ANN001
    gemini_fake.reset(mode="ok", payload={
        "scores": {"content": 40, "delivery": None, "structure": 60},
        "summary": "A B-tree answer with one cost error.",
        # Gemini claims the contradicted point as made: that strength must not survive.
        "strengths": [{"title": "Covered: avoids a full table scan", "category": "key_points",
                       "detail": f"You made this point when you said “{WRONG['sentence']}”.",
                       "evidence": [{"kind": "quote", "text": WRONG["sentence"]}]}],
        "improvements": [{"title": "Add when to index", "detail": "Selective columns.", "category": "key_points",
                          "evidence": [{"kind": "key_point", "text": KEY_POINTS[3]}]}],
        "incorrect": [], "stronger_answer_outline": ["Define an index", "Give trade-offs"],
        "verdicts": [{"index": 0, "verdict": "covered", "sentence": "An index is a B-tree kept next to the table."},
                     {"index": 1, "verdict": "covered", "sentence": WRONG["sentence"]},
                     {"index": 2, "verdict": "covered", "sentence": "writes get slower"},
                     {"index": 3, "verdict": "missed", "sentence": ""}],
        "star": None, "withheld": [], "caveats": []})
    answer = answer_feedback_generate(answer_id=wrong_answer.pk)
    stored = StoredFeedback.model_validate(answer.feedback)
    assert stored.engine == "gemini"
    # The schema Gemini was asked for has the verdicts and the Incorrect section; the prompt carries the judge's.
    body = gemini_fake.requests[0]["body"]
    properties = body["generationConfig"]["responseJsonSchema"]["properties"]
    assert "verdicts" in properties and "incorrect" in properties
    prompt = body["contents"][0]["parts"][0]["text"]
    assert "KEY POINTS CONTRADICTED" in prompt and WRONG["correction"] in prompt
    # The Incorrect section and the verdicts are the offline judge's; each disagreement is recorded.
    assert [i.said for i in stored.incorrect] == [WRONG["sentence"]]
    assert {(d["index"], d["offline"], d["gemini"]) for d in stored.verdict_disagreements} == {
        (1, "contradicted", "covered"), (2, "missed", "covered")}
    assert not [p for p in stored.strengths if WRONG["sentence"] in p.detail]
    assert stored.improvements[0].category == "incorrect"
    assert stored.stronger_answer_outline[0].startswith("Correct: ")
    assert "Incorrect" in _page(answer)


def _page(answer) -> str:  # noqa: ANN001
    from django.test import Client
    from django.urls import reverse

    from sessions.models import AnswerStatus

    # The chain's last step marks the answer scored; the page shows its details from then on.
    answer.status = AnswerStatus.SCORED
    answer.save(update_fields=["status"])
    client = Client()
    client.force_login(answer.user)
    response = client.get(reverse("interviews:answer", args=[answer.pk]))
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert WRONG["correction"] in html and "data-incorrect" in html
    return html
