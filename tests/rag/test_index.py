"""FAISS indexes: explicit id -> key mapping, persistence, flat and HNSW agree, corrupt files are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.embeddings import DIM
from rag.index import (
    BankEntry,
    IndexError_,
    VectorIndex,
    faiss_index_new,
    resume_index_delete,
    resume_index_load,
    resume_index_save,
    resume_search,
)


def unit_rows(n: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_keys_map_rows_exactly_in_any_insertion_order() -> None:
    vectors = unit_rows(50)
    keys = [f"q-{i:03d}|kp|{i % 4}" for i in range(50)]
    order = np.random.default_rng(1).permutation(50)
    index = VectorIndex.build(keys=[keys[i] for i in order], vectors=vectors[order], index_type="flat")
    # Every vector finds itself first, under its own key, whatever position it was inserted at.
    for i in range(50):
        [[(key, score)]] = index.search(vectors[i:i + 1], 1)
        assert key == keys[i] and score == pytest.approx(1.0, abs=1e-5)
        assert np.allclose(index.vector(keys[i]), vectors[i])


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        VectorIndex.build(keys=["a", "a"], vectors=unit_rows(2), index_type="flat")


def test_save_load_round_trip_and_replace(tmp_path) -> None:  # noqa: ANN001
    vectors = unit_rows(20)
    first = VectorIndex.build(keys=[f"k{i}" for i in range(20)], vectors=vectors, index_type="flat",
                              meta={"bank_hash": "one"})
    first.save(tmp_path, "bank")
    loaded = VectorIndex.load(tmp_path, "bank")
    assert loaded is not None and loaded.keys == first.keys and loaded.meta["bank_hash"] == "one"
    assert loaded.search(vectors[7:8], 1)[0][0][0] == "k7"

    second = VectorIndex.build(keys=["x", "y"], vectors=vectors[:2], index_type="flat", meta={"bank_hash": "two"})
    second.save(tmp_path, "bank")
    again = VectorIndex.load(tmp_path, "bank")
    assert again.keys == ["x", "y"] and again.meta["bank_hash"] == "two"
    # The previous generation's files are gone; only the manifest and one generation remain.
    assert len(list(tmp_path.glob("bank-*.faiss"))) == 1 and len(list(tmp_path.glob("bank-*.npy"))) == 1


def test_a_manifest_that_disagrees_with_its_index_is_refused(tmp_path) -> None:  # noqa: ANN001
    VectorIndex.build(keys=["a", "b", "c"], vectors=unit_rows(3), index_type="flat").save(tmp_path, "bank")
    manifest = json.loads((tmp_path / "bank.json").read_text())
    manifest["keys"] = ["a", "b"]
    (tmp_path / "bank.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexError_, match="3 vectors but 2 keys"):
        VectorIndex.load(tmp_path, "bank")
    (tmp_path / "bank.json").write_text("{broken")
    with pytest.raises(IndexError_, match="unreadable"):
        VectorIndex.load(tmp_path, "bank")
    assert VectorIndex.load(tmp_path, "absent") is None


def test_hnsw_agrees_with_flat_on_clustered_data() -> None:
    rng = np.random.default_rng(3)
    centres = unit_rows(20, seed=4)
    data = centres[rng.integers(0, 20, 2000)] + rng.normal(scale=0.08, size=(2000, DIM)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    keys = [f"d{i}" for i in range(2000)]
    flat = VectorIndex.build(keys=keys, vectors=data, index_type="flat")
    hnsw = VectorIndex.build(keys=keys, vectors=data, index_type="hnsw")
    queries = data[:50] + rng.normal(scale=0.05, size=(50, DIM)).astype(np.float32)
    exact = [{k for k, _ in row} for row in flat.search(queries, 5)]
    approx = [{k for k, _ in row} for row in hnsw.search(queries, 5)]
    recall = np.mean([len(a & e) / 5 for a, e in zip(approx, exact, strict=True)])
    assert recall >= 0.9


def test_unknown_index_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="flat' or 'hnsw"):
        faiss_index_new(index_type="ivf")


def test_bank_entry_keys_round_trip() -> None:
    for entry in (BankEntry("databases-014", "q"), BankEntry("databases-014", "ref"),
                  BankEntry("databases-014", "kp", 3)):
        assert BankEntry.parse(entry.key) == entry
    assert BankEntry("a-001", "kp", 1).key != BankEntry("a-001", "kp", 2).key


def test_resume_indexes_are_per_user_and_deletable(settings, tmp_path) -> None:  # noqa: ANN001
    settings.FAISS_DIR = tmp_path
    vectors = unit_rows(3)
    resume_index_save(user_id=1, resume_id=10, chunks=["alpha", "beta", "gamma"], vectors=vectors)
    resume_index_save(user_id=2, resume_id=11, chunks=["other"], vectors=unit_rows(1, seed=9))
    [[(text, score), *_]] = resume_search(user_id=1, resume_id=10, query_vectors=vectors[1:2], k=2)
    assert text == "beta" and score == pytest.approx(1.0, abs=1e-5)
    # Another user's resume id under this user finds nothing.
    assert resume_search(user_id=1, resume_id=11, query_vectors=vectors[:1]) == [[]]
    resume_index_delete(user_id=1, resume_id=10)
    assert resume_index_load(user_id=1, resume_id=10) is None
    assert resume_index_load(user_id=2, resume_id=11) is not None
