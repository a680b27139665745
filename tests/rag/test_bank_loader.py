"""The bank loader: validation that fails loudly (file + id), idempotent loads by stable id, content hashes, and the
FAISS rebuild only when what the index embeds changed."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from rag.bank_loader import BankError, bank_read
from rag.models import BankQuestion
from rag.services import bank_export, bank_load
from tests.rag import bankfiles


def test_the_real_bank_files_are_valid() -> None:
    files = bank_read()
    assert files, "rag/bank holds no topic files"
    ids = [item.ext_id for f in files for item in f.items]
    assert len(ids) == len(set(ids))


def test_a_valid_file_is_read(tmp_path) -> None:  # noqa: ANN001
    bankfiles.write(tmp_path, bankfiles.bank_file())
    [bank_file] = bank_read(tmp_path)
    assert bank_file.topic.slug == "zz-queues"
    assert [item.ext_id for item in bank_file.items] == ["zz-queues-001", "zz-queues-002", "zz-queues-003"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"reference_answer": None}, "missing field 'reference_answer'"),
    ({"hint": None}, "missing field 'hint'"),
    ({"difficulty": 4}, "difficulty must be 1, 2 or 3"),
    ({"difficulty": "2"}, "difficulty must be 1, 2 or 3"),
    ({"reference_answer": "Far too short to be a reference answer."}, "60 to 150 words"),
    ({"key_points": ["Only one key point here, which is not enough."]}, "3 to 6 sentences"),
    ({"key_points": ["Short.", *bankfiles.KEY_POINTS[:3]]}, "6 to 20 words"),
    ({"subtopic": "nope"}, "subtopic 'nope' is not in the file's subtopics"),
    ({"follow_ups": ["Not a question."]}, "ending with '?'"),
    ({"id": "other-topic-001"}, "id must be '<topic slug>-NNN'"),
    ({"colour": "blue"}, "unknown fields"),
    ({"misconceptions": [{"key_point": 9, "claim": "A queue is LIFO.", "correction": "FIFO.", "why": "Basics."}]},
     "misconceptions[0] needs key_point"),
    ({"misconceptions": [{"key_point": 0, "claim": "A queue is LIFO."}]}, "misconceptions[0] needs key_point"),
    ({"probes": ["What order do items leave in?"]}, "probes must be one question"),
    ({"probes": ["What order?", "How fast?", "Built on what?", "Which search uses it."]}, "probes must be one"),
    ({"duplicate_of": "zz-queues-002"}, "duplicate_of must be another question's id"),
    ({"duplicate_of": "zz-queues-404"}, "duplicate_of names an unknown id"),
])
def test_invalid_questions_fail_with_file_and_id(tmp_path, changes, message) -> None:  # noqa: ANN001
    content = bankfiles.mutated(bankfiles.bank_file(), 1, **changes)
    bankfiles.write(tmp_path, content)
    with pytest.raises(BankError) as caught:
        bank_read(tmp_path)
    text = str(caught.value)
    assert message in text
    assert "zz-queues.json" in text
    expected_id = changes.get("id", "zz-queues-002")
    assert f"id={expected_id!r}" in text


def test_duplicate_ids_across_files_fail(tmp_path) -> None:  # noqa: ANN001
    bankfiles.write(tmp_path, bankfiles.bank_file())
    other = bankfiles.bank_file(topic="zz-stacks")
    other["questions"][0]["id"] = "zz-queues-001"  # a stolen id (wrong prefix is reported too)
    bankfiles.write(tmp_path, other)
    with pytest.raises(BankError) as caught:
        bank_read(tmp_path)
    assert "duplicate id (also in zz-queues.json)" in str(caught.value)


def test_file_level_problems(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    bad_kind = bankfiles.bank_file(topic="zz-kind", kind="fun")
    bankfiles.write(tmp_path, bad_kind)
    thin = bankfiles.bank_file(topic="zz-thin")
    thin["questions"] = thin["questions"][:2]
    bankfiles.write(tmp_path, thin)
    with pytest.raises(BankError) as caught:
        bank_read(tmp_path)
    problems = caught.value.problems
    assert any(p.startswith("broken.json: not readable JSON") for p in problems)
    assert any("zz-kind.json: topic kind must be" in p for p in problems)
    assert any("zz-thin.json: subtopic 'basics' has 2 questions" in p for p in problems)


@pytest.mark.django_db
def test_load_command_fails_loudly_and_writes_nothing(tmp_path) -> None:  # noqa: ANN001
    content = bankfiles.mutated(bankfiles.bank_file(), 2, key_points=None)
    bankfiles.write(tmp_path, content)
    with pytest.raises(CommandError, match=r"zz-queues.json .*id='zz-queues-003'.*missing field 'key_points'"):
        call_command("load_bank", dir=tmp_path, no_index=True, verbosity=0)
    assert not BankQuestion.objects.filter(ext_id__startswith="zz-queues").exists()


@pytest.mark.django_db
def test_load_is_idempotent_by_stable_id(tmp_path) -> None:  # noqa: ANN001
    bankfiles.write(tmp_path, bankfiles.bank_file())
    first = bank_load(directory=tmp_path, rebuild_index=False)
    assert first.created == ["zz-queues-001", "zz-queues-002", "zz-queues-003"]
    assert first.topics_created == 1 and first.subtopics_created == 1
    row = BankQuestion.objects.get(ext_id="zz-queues-002")
    assert row.topic.slug == "zz-queues" and row.subtopic.slug == "basics" and len(row.content_hash) == 64
    pk, chash = row.pk, row.content_hash

    second = bank_load(directory=tmp_path, rebuild_index=False)
    assert (second.created, second.updated, second.unchanged) == ([], [], 3)
    assert second.topics_created == second.subtopics_created == 0

    # Editing one question updates that row in place (same primary key) with a new content hash.
    content = bankfiles.bank_file()
    content["questions"][1]["key_points"][0] = "A queue always serves the oldest waiting item first."
    bankfiles.write(tmp_path, content)
    third = bank_load(directory=tmp_path, rebuild_index=False)
    assert third.updated == ["zz-queues-002"] and third.unchanged == 2
    row.refresh_from_db()
    assert row.pk == pk and row.content_hash != chash

    # A change outside what the index embeds (the hint) updates the row but keeps its hash.
    content["questions"][1]["hint"] = "Another hint."
    bankfiles.write(tmp_path, content)
    bank_load(directory=tmp_path, rebuild_index=False)
    assert BankQuestion.objects.get(ext_id="zz-queues-002").content_hash == row.content_hash


@pytest.mark.django_db
@pytest.mark.slow
def test_index_rebuilt_only_when_the_bank_changes(tmp_path, settings) -> None:  # noqa: ANN001
    from rag.index import bank_index

    settings.FAISS_DIR = tmp_path / "faiss"
    BankQuestion.objects.update(is_active=False)  # a tiny bank keeps the build fast
    bankfiles.write(tmp_path / "bank", bankfiles.bank_file())
    assert bank_load(directory=tmp_path / "bank").index_rebuilt is True
    assert len(bank_index()) == 3 * (2 + len(bankfiles.KEY_POINTS))
    assert bank_load(directory=tmp_path / "bank").index_rebuilt is False

    content = bankfiles.bank_file()
    content["questions"][0]["hint"] = "A hint is not embedded."
    bankfiles.write(tmp_path / "bank", content)
    assert bank_load(directory=tmp_path / "bank").index_rebuilt is False

    content["questions"][0]["question"] = "How does a ring buffer implement a queue without moving items?"
    bankfiles.write(tmp_path / "bank", content)
    assert bank_load(directory=tmp_path / "bank").index_rebuilt is True
    index = bank_index()
    from rag.embeddings import embed

    [[(key, score)]] = index.search(embed(["ring buffer queue without moving items"]), 1)
    assert key == "zz-queues-001|q" and score > 0.6


def test_duplicate_ids_within_a_file_fail(tmp_path) -> None:  # noqa: ANN001
    content = bankfiles.bank_file()
    content["questions"].append(bankfiles.question(2))
    bankfiles.write(tmp_path, content)
    with pytest.raises(BankError, match=r"zz-queues.json id='zz-queues-002': duplicate id \(also in zz-queues.json\)"):
        bank_read(tmp_path)


@pytest.mark.django_db
def test_judgement_fields_are_stored_and_a_duplicate_is_never_drawn(tmp_path) -> None:  # noqa: ANN001
    misconception = {"key_point": 0, "claim": "A queue serves the newest item first, like a stack.",
                     "correction": "A queue serves the oldest item first (FIFO).",
                     "why": "Mixing up queues and stacks breaks BFS and every buffer built on them."}
    probes = ["Which item leaves first?", "What does each operation cost?", "What would you build it on?",
              "Which graph search relies on it?"]
    content = bankfiles.mutated(bankfiles.bank_file(), 0, misconceptions=[misconception], probes=probes)
    content = bankfiles.mutated(content, 2, duplicate_of="zz-queues-001")
    bankfiles.write(tmp_path, content)
    bank_load(directory=tmp_path, rebuild_index=False)
    first = BankQuestion.objects.get(ext_id="zz-queues-001")
    assert first.misconceptions == [misconception]
    assert first.probes == probes
    assert first.is_active
    merged = BankQuestion.objects.get(ext_id="zz-queues-003")
    assert merged.duplicate_of == "zz-queues-001"
    assert not merged.is_active
    exported = bank_export(questions=list(BankQuestion.objects.filter(ext_id__startswith="zz-queues")))
    exported = exported["zz-queues"]["questions"]
    assert exported[0]["misconceptions"] == [misconception] and exported[2]["duplicate_of"] == "zz-queues-001"

