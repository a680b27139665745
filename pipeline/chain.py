"""The path of one answer after `answer.end`, as a Celery chain of the steps' registered task names:

    transcribe (ml) -> content score (score) -> feedback -> mastery -> finalize (status, follow-up, push)

Under a burst an answer's next step never waits behind the other answers' first steps: distributed, each step
after transcription is on another queue than `ml` (interviewprep/celery.py); embedded, the in-process pool runs
later steps first (pipeline/tasking.py). The report comes after every answer step: it waits for them.

Names, not imports: each app registers its own step task, and this bottom layer chains them without importing
any app. Mastery comes before finalize so that an answer marked `scored` has updated mastery too: the report waits
for scored answers and then rewrites the study plan, which must see every answer of the interview.
"""

from __future__ import annotations

from celery import chain, signature
from celery.canvas import Signature

from pipeline.tasking import task_enqueue

# (task name, whether the step takes `force`): the order is the pipeline.
ANSWER_STEPS: tuple[tuple[str, bool], ...] = (
    ("audio.tasks.answer_transcribe", True),
    ("rag.tasks.answer_score_content", True),
    ("rag.tasks.answer_feedback", True),
    ("mastery.tasks.mastery_apply_answer", False),
    ("sessions.tasks.answer_finalize", False),
)
REPORT_BUILD = "sessions.tasks.report_build"


def answer_chain(*, answer_id: int, force: bool = False) -> Signature:
    """The chain of immutable step signatures for one answer (each step reads the answer by id)."""
    return chain(*(signature(name, args=(answer_id, force) if takes_force else (answer_id,), immutable=True)
                   for name, takes_force in ANSWER_STEPS))


def answer_pipeline_enqueue(*, answer_id: int, force: bool = False) -> None:
    task_enqueue(answer_chain(answer_id=answer_id, force=force))


def report_build_enqueue(*, session_id: int, wait: int = 0, countdown: float = 0) -> None:
    """Queue the report; `wait` counts the times it already found answers still in the pipeline."""
    # Embedded priority: after every answer step (a report only waits for scored answers), before new
    # transcriptions, so a candidate whose answers are done gets the report without waiting out a burst.
    task_enqueue(signature(REPORT_BUILD, args=(session_id, wait), immutable=True), countdown=countdown,
                 priority=len(ANSWER_STEPS))
