"""The Celery app. Queues: `default` for light work (feedback, mastery, reports), `ml` for transcription and
embeddings, so a deployment can give the heavy models their own workers."""

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
    "rag.tasks.answer_score_content": {"queue": "ml"},  # loads MiniLM
}
app.autodiscover_tasks()


@worker_process_init.connect
def _reset_models_in_child(**_kwargs: object) -> None:
    # Under prefork, a model used in the parent before the fork hangs the child's first task
    # (docs/stack-notes.md). Children start with empty singletons and load lazily on first use.
    from interviewprep.singletons import reset_all

    reset_all()
