"""The answer pipeline's shape: its steps and their order."""

from __future__ import annotations


def test_mastery_is_applied_before_the_answer_is_marked_scored(monkeypatch) -> None:
    """A `scored` answer has updated mastery, so the report's study-plan rewrite sees every answer."""
    from sessions import pipeline

    queued: list = []
    monkeypatch.setattr(pipeline, "task_enqueue", queued.append)
    pipeline.answer_pipeline_enqueue(answer_id=7, force=True)
    (chain,) = queued
    assert [(s.task, s.args) for s in chain.tasks] == [
        ("audio.tasks.answer_transcribe", (7, True)),
        ("rag.tasks.answer_score_content", (7, True)),
        ("rag.tasks.answer_feedback", (7, True)),
        ("mastery.tasks.mastery_apply_answer", (7,)),
        ("sessions.tasks.answer_finalize", (7,)),
    ]
