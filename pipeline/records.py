"""The records a pipeline step reads and writes, registered by the app that owns them.

An answer's steps run in apps below the one that owns answers and interviews (`sessions`): the transcriber, the
content scorer and the coach, mastery. They cannot import that app, so it registers its models here in its
AppConfig.ready, the way Django's `get_user_model()` lets apps use a user model they do not import. What a step may
read or write on an answer is its pipeline contract: the transcript and word fields, the signal and delivery
measurements (`pipeline.measures` reads them), the scores and key-point verdicts, feedback, `progress`, `status`
and `error` (the last two only through the failure handler in `pipeline.steps`), and `mastery_applied_at`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

_registered: dict[str, Any] = {}


class InputMode(models.TextChoices):
    """How an answer was given: spoken (measured and transcribed) or typed (content only)."""

    VOICE = "voice", "Spoken"
    TEXT = "text", "Typed"


def records_register(*, answer: type[models.Model], session: type[models.Model]) -> None:
    _registered.update(answer=answer, session=session)


def _get(name: str) -> Any:
    try:
        return _registered[name]
    except KeyError:
        raise LookupError(f"no {name} model registered with pipeline.records (is the interviews app installed?)") \
            from None


def answer_model() -> Any:
    """The answer model (sessions' `Answer`)."""
    return _get("answer")


def session_model() -> Any:
    """The interview model (sessions' `InterviewSession`)."""
    return _get("session")
