"""Fixtures of the knowledge tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def small_bank(db, settings, tmp_path):  # noqa: ANN001, ANN201
    """The real bank cut to its first six questions per topic (the rest inactive), with its own FAISS folder: a
    bank index built in seconds instead of a minute. Returns the active questions."""
    from rag.models import BankQuestion
    from rag.services import bank_index_refresh

    settings.FAISS_DIR = tmp_path / "faiss"
    keep: list[int] = []
    for topic_id in BankQuestion.objects.values_list("topic_id", flat=True).distinct():
        keep += list(BankQuestion.objects.filter(topic_id=topic_id).order_by("ext_id")
                     .values_list("pk", flat=True)[:6])
    BankQuestion.objects.exclude(pk__in=keep).update(is_active=False)
    assert keep, "the question bank is empty: it is loaded for every run (tests/conftest.py)"
    bank_index_refresh(force=True)
    return list(BankQuestion.objects.filter(is_active=True).select_related("topic", "subtopic"))
