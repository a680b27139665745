"""FAISS indexes: the bank index (questions, reference answers, key points) and per-user resume-chunk indexes.

Ids: FAISS only knows row numbers 0..n-1 in insertion order. Each index is saved with an explicit list of stable
keys ("databases-014|kp|2", "resume:7:chunk:3") whose position is the FAISS id, and a load refuses a key list whose
length differs from `ntotal`. Nothing is ever looked up by a row id of the database or by a hash that may collide
(the seed system's bug: half of its lookups returned another question's answer).

Files are written under a fresh name and published by atomically replacing a small manifest, so a reader never
sees half an index. The bank index records the hash of the bank it was built from; `bank_index_ensure()` rebuilds
it only when that hash changes, reusing the vectors of unchanged texts.

Index type is `settings.FAISS_INDEX_TYPE`: "flat" (exact IndexFlatIP; right at bank and resume sizes) or "hnsw"
(IndexHNSWFlat, M=32, inner product; for 100K+ documents).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from rag.embeddings import DIM, embed, model_path

HNSW_M = 32
HNSW_EF_SEARCH = 64
HNSW_EF_CONSTRUCTION = 80


class IndexError_(Exception):  # noqa: N801 - distinct from the builtin IndexError
    """An index on disk is missing, corrupt or inconsistent with its keys."""


def _faiss() -> Any:
    import faiss

    # Single queries are served one per request; OpenMP threads only add contention on 2 cores (docs/stack-notes.md).
    faiss.omp_set_num_threads(1)
    return faiss


def faiss_index_new(*, index_type: str | None = None, dim: int = DIM) -> Any:
    faiss = _faiss()
    kind = (index_type or settings.FAISS_INDEX_TYPE).lower()
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return index
    raise ValueError(f"FAISS_INDEX_TYPE must be 'flat' or 'hnsw', not {kind!r}")


@dataclass
class VectorIndex:
    """A FAISS index and the stable key of each of its rows (row i <-> keys[i])."""

    index: Any
    keys: list[str]
    vectors: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, *, keys: list[str], vectors: np.ndarray, index_type: str | None = None,
              meta: dict[str, Any] | None = None) -> VectorIndex:
        if len(set(keys)) != len(keys):
            raise ValueError("index keys must be unique")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(keys), DIM)
        index = faiss_index_new(index_type=index_type)
        if len(keys):
            index.add(vectors)
        meta = {**(meta or {}), "index_type": (index_type or settings.FAISS_INDEX_TYPE).lower(),
                "count": len(keys), "dim": DIM}
        return cls(index=index, keys=list(keys), vectors=vectors, meta=meta)

    def __len__(self) -> int:
        return len(self.keys)

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Top-k (key, cosine) per query row, best first."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, DIM)
        if not self.keys or k <= 0:
            return [[] for _ in range(len(queries))]
        scores, ids = self.index.search(queries, min(k, len(self.keys)))
        return [[(self.keys[i], float(s)) for s, i in zip(row_s, row_i, strict=True) if i >= 0]
                for row_s, row_i in zip(scores, ids, strict=True)]

    def vector(self, key: str) -> np.ndarray:
        return self.vectors[self._positions()[key]]

    def _positions(self) -> dict[str, int]:
        positions = self.meta.get("_positions")
        if positions is None:
            positions = {key: i for i, key in enumerate(self.keys)}
            self.meta["_positions"] = positions
        return positions

    # --- persistence ---------------------------------------------------------------------------------

    def save(self, directory: Path, name: str) -> None:
        """Write `<name>-<stamp>.faiss/.npy` and publish them by replacing `<name>.json` atomically."""
        directory.mkdir(parents=True, exist_ok=True)
        stamp = hashlib.sha256("\n".join(self.keys).encode() + os.urandom(8)).hexdigest()[:16]
        base = f"{name}-{stamp}"
        _faiss().write_index(self.index, str(directory / f"{base}.faiss"))
        with open(directory / f"{base}.npy", "wb") as handle:
            np.save(handle, self.vectors)
        meta = {k: v for k, v in self.meta.items() if not k.startswith("_")}
        manifest = {"files": base, "keys": self.keys, "meta": meta}
        tmp = directory / f".{name}.json.{stamp}.tmp"
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        previous = _manifest_read(directory / f"{name}.json")
        os.replace(tmp, directory / f"{name}.json")
        if previous and previous.get("files") != base:
            for suffix in (".faiss", ".npy"):
                (directory / f"{previous['files']}{suffix}").unlink(missing_ok=True)

    @classmethod
    def load(cls, directory: Path, name: str) -> VectorIndex | None:
        manifest = _manifest_read(directory / f"{name}.json")
        if manifest is None:
            return None
        base = directory / manifest["files"]
        try:
            index = _faiss().read_index(str(base.with_suffix(".faiss")))
            vectors = np.load(base.with_suffix(".npy"))
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexError_(f"index {name} in {directory} is unreadable: {exc}") from exc
        keys = list(manifest["keys"])
        if index.ntotal != len(keys) or len(vectors) != len(keys):
            raise IndexError_(f"index {name}: {index.ntotal} vectors but {len(keys)} keys")
        return cls(index=index, keys=keys, vectors=vectors, meta=dict(manifest.get("meta", {})))

    @staticmethod
    def delete(directory: Path, name: str) -> None:
        manifest = _manifest_read(directory / f"{name}.json")
        (directory / f"{name}.json").unlink(missing_ok=True)
        if manifest:
            for suffix in (".faiss", ".npy"):
                (directory / f"{manifest['files']}{suffix}").unlink(missing_ok=True)


def _manifest_read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexError_(f"index manifest {path} is unreadable: {exc}") from exc


# --- the bank index ------------------------------------------------------------------------------------

BANK_INDEX_NAME = "bank"


@dataclass(frozen=True)
class BankEntry:
    """What one row of the bank index is: a question's text, its reference answer, or one of its key points."""

    ext_id: str
    field: str  # "q" | "ref" | "kp"
    position: int = 0

    @property
    def key(self) -> str:
        return f"{self.ext_id}|{self.field}|{self.position}" if self.field == "kp" else f"{self.ext_id}|{self.field}"

    @classmethod
    def parse(cls, key: str) -> BankEntry:
        parts = key.split("|")
        return cls(ext_id=parts[0], field=parts[1], position=int(parts[2]) if len(parts) > 2 else 0)


def bank_rows() -> list[tuple[str, str, str]]:
    """(key, text, content_hash) for every active bank question's indexed texts, in a stable order."""
    from rag.models import BankQuestion

    rows: list[tuple[str, str, str]] = []
    for ext_id, text, reference, key_points, chash in (BankQuestion.objects.filter(is_active=True)
                                                       .order_by("ext_id")
                                                       .values_list("ext_id", "text", "reference_answer",
                                                                    "key_points", "content_hash")):
        rows.append((BankEntry(ext_id, "q").key, text, chash))
        rows.append((BankEntry(ext_id, "ref").key, reference, chash))
        rows.extend((BankEntry(ext_id, "kp", i).key, point, chash) for i, point in enumerate(key_points))
    return rows


def bank_hash(rows: list[tuple[str, str, str]] | None = None, *, index_type: str | None = None) -> str:
    rows = bank_rows() if rows is None else rows
    digest = hashlib.sha256()
    digest.update(f"{(index_type or settings.FAISS_INDEX_TYPE).lower()}|{Path(model_path()).name}\n".encode())
    for key, text, _ in rows:
        digest.update(f"{key}\t{hashlib.sha256(text.encode()).hexdigest()}\n".encode())
    return digest.hexdigest()


_bank_lock = threading.Lock()
_bank_cache: dict[str, tuple[float, VectorIndex]] = {}


def _bank_dir() -> Path:
    return Path(settings.FAISS_DIR)


def bank_index_rebuild(*, force: bool = False) -> tuple[VectorIndex, bool]:
    """Rebuild the bank index if the bank changed since it was built (or `force`). Returns (index, rebuilt).

    Vectors of texts that did not change are reused from the previous build, so an edit re-embeds only itself.
    """
    rows = bank_rows()
    wanted = bank_hash(rows)
    directory = _bank_dir()
    with _bank_lock:
        try:
            current = VectorIndex.load(directory, BANK_INDEX_NAME)
        except IndexError_:
            current = None
        if current is not None and current.meta.get("bank_hash") == wanted and not force:
            return current, False
        reuse: dict[str, np.ndarray] = {}
        if current is not None and current.meta.get("text_hashes"):
            reuse = {h: current.vectors[i] for i, h in enumerate(current.meta["text_hashes"])}
        text_hashes = [hashlib.sha256(text.encode()).hexdigest() for _, text, _ in rows]
        todo = sorted({(h, text) for h, (_, text, _) in zip(text_hashes, rows, strict=True) if h not in reuse})
        if todo:
            fresh = embed([text for _, text in todo])
            reuse.update({h: v for (h, _), v in zip(todo, fresh, strict=True)})
        vectors = (np.stack([reuse[h] for h in text_hashes]) if rows
                   else np.zeros((0, DIM), dtype=np.float32))
        built = VectorIndex.build(keys=[key for key, _, _ in rows], vectors=vectors,
                                  meta={"bank_hash": wanted, "text_hashes": text_hashes})
        built.save(directory, BANK_INDEX_NAME)
        _bank_cache.clear()
        return built, True


def bank_index() -> VectorIndex:
    """The bank index for searching: loaded once per process, reloaded when its manifest is replaced, built if
    none exists yet."""
    path = _bank_dir() / f"{BANK_INDEX_NAME}.json"
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = None
    cache_key = str(path)
    cached = _bank_cache.get(cache_key)
    if cached is not None and mtime is not None and cached[0] == mtime:
        return cached[1]
    loaded = None
    if mtime is not None:
        try:
            loaded = VectorIndex.load(_bank_dir(), BANK_INDEX_NAME)
        except IndexError_:
            loaded = None
    if loaded is None:
        loaded, _ = bank_index_rebuild(force=True)
        mtime = path.stat().st_mtime_ns
    _bank_cache[cache_key] = (mtime, loaded)
    return loaded


def bank_search(*, query_vectors: np.ndarray, k: int = 5, fields: tuple[str, ...] = ("q", "ref", "kp"),
                active_ids: set[str] | None = None) -> list[list[tuple[BankEntry, float]]]:
    """Nearest bank entries per query, restricted to `fields` (and to `active_ids` when given), best first."""
    index = bank_index()
    # Over-fetch when filtering by field: at bank sizes a wider exact search is cheaper than a second pass.
    fetch = k if set(fields) == {"q", "ref", "kp"} and active_ids is None else min(len(index), max(k * 8, 40))
    results = []
    for row in index.search(query_vectors, fetch):
        hits = []
        for key, score in row:
            entry = BankEntry.parse(key)
            if entry.field in fields and (active_ids is None or entry.ext_id in active_ids):
                hits.append((entry, score))
            if len(hits) >= k:
                break
        results.append(hits)
    return results


# --- per-user resume indexes ---------------------------------------------------------------------------


def _user_dir(user_id: int) -> Path:
    return Path(settings.FAISS_DIR) / "users" / str(int(user_id))


def resume_index_name(resume_id: int) -> str:
    return f"resume-{int(resume_id)}"


def chunk_key(resume_id: int, position: int) -> str:
    return f"resume:{int(resume_id)}:chunk:{int(position)}"


def resume_index_save(*, user_id: int, resume_id: int, chunks: list[str], vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex.build(keys=[chunk_key(resume_id, i) for i in range(len(chunks))], vectors=vectors,
                              meta={"texts": chunks, "resume_id": int(resume_id)})
    index.save(_user_dir(user_id), resume_index_name(resume_id))
    return index


def resume_index_load(*, user_id: int, resume_id: int) -> VectorIndex | None:
    return VectorIndex.load(_user_dir(user_id), resume_index_name(resume_id))


def resume_index_delete(*, user_id: int, resume_id: int) -> None:
    VectorIndex.delete(_user_dir(user_id), resume_index_name(resume_id))


def resume_search(*, user_id: int, resume_id: int, query_vectors: np.ndarray,
                  k: int = 5) -> list[list[tuple[str, float]]]:
    """Top-k resume chunks (text, cosine) per query; empty when the resume has no index yet."""
    index = resume_index_load(user_id=user_id, resume_id=resume_id)
    if index is None:
        return [[] for _ in range(len(np.atleast_2d(query_vectors)))]
    texts = index.meta["texts"]
    positions = {key: i for i, key in enumerate(index.keys)}
    return [[(texts[positions[key]], score) for key, score in row] for row in index.search(query_vectors, k)]
