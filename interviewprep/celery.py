"""The Celery app. Queues: `ml` for transcription and index builds (whisper), `score` for an answer's content
score (MiniLM), `default` for light work (feedback, mastery, finalize, reports), so a deployment can give the heavy
models their own workers.

`score` is its own queue so that a scored step never waits behind the transcriptions of a burst: with one `ml`
queue, 300 answers ending together queued 300 transcriptions ahead of the first score. The README's ml worker
consumes `-Q score,ml`; Celery's Redis transport rotates the queues it polls after each message, so that worker
alternates: after each transcription it takes a waiting score first (an answer's chain finishes before new
transcriptions take all its time).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewprep.settings")

app = Celery("interviewprep")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = {
    "audio.tasks.*": {"queue": "ml"},
    "rag.tasks.transcribe_*": {"queue": "ml"},
    "rag.tasks.index_*": {"queue": "ml"},
    "rag.tasks.score_*": {"queue": "ml"},
    "rag.tasks.process_resume": {"queue": "ml"},
    "rag.tasks.answer_score_content": {"queue": "score"},  # loads MiniLM; never behind the burst's transcriptions
}
app.autodiscover_tasks()


@worker_process_init.connect
def _reset_models_in_child(**_kwargs: object) -> None:
    # Under prefork, a model used in the parent before the fork hangs the child's first task
    # (docs/stack-notes.md). Children start with empty singletons and load lazily on first use.
    from interviewprep.singletons import reset_all

    reset_all()
