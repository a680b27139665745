"""Knowledge path benchmark: MiniLM embedding, content scoring, FAISS top-5 search.

    .venv/bin/python bench/knowledge_bench.py [--vectors 100000] [--queries 200] [--skip-100k]

Prints medians (and p90) of, in one run:
- embedding: one sentence, a batch of 64 (after a warm-up; the model load is timed separately);
- content scoring of one answer (rag.scoring.content_score, the labelled set's answers, key points cached as in
  a worker), the target being p50 <= 50 ms after warm-up;
- FAISS top-5 single-query search at the bank's size (the real bank's vectors when the database has them) and at
  `--vectors` synthetic clustered vectors: IndexFlatIP, plain numpy (argpartition over a matrix product: the
  baseline) and IndexHNSWFlat (M=32, efSearch 64), with HNSW's build time and recall@5 against the exact result.
  Clustered data (Gaussian blobs around 500 centres), not uniform noise, since recall on uniform random vectors
  says nothing about real embeddings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewprep.settings")

import django

django.setup()

from rag.embeddings import DIM, MODEL, embed
from rag.index import faiss_index_new
from rag.scoring import content_score


def timed(fn, repeat: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def line(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"  {name:<44} p50 {statistics.median(samples):9.3f} ms   p90 {p90:9.3f} ms   (n={len(samples)})"


def bench_embedding() -> None:
    start = time.perf_counter()
    MODEL.get()
    print(f"embedding (all-MiniLM-L6-v2, CPU): model load {time.perf_counter() - start:.2f} s")
    sentence = "A hash function maps each key to a bucket index in an array."
    batch = [f"{sentence} Variant number {i} of the sentence." for i in range(64)]
    embed([sentence])
    embed(batch)
    print(line("one sentence", timed(lambda: embed([sentence]), 30)))
    samples = timed(lambda: embed(batch), 5)
    print(line("batch of 64", samples) + f"   = {statistics.median(samples) / 64:.2f} ms per sentence")


def bench_scoring() -> None:
    items = json.loads((ROOT / "tests" / "rag" / "labelled_answers.json").read_text(encoding="utf-8"))
    answers = [(item, item[k]) for item in items for k in ("good", "partial", "off_topic")]
    for item, text in answers[:6]:  # warm-up: the model and the key-point cache
        content_score(answer=text, reference_answer=item["reference_answer"], key_points=item["key_points"])
    samples = []
    for _ in range(2):
        for item, text in answers:
            start = time.perf_counter()
            content_score(answer=text, reference_answer=item["reference_answer"], key_points=item["key_points"])
            samples.append((time.perf_counter() - start) * 1000)
    words = statistics.median(len(t.split()) for _, t in answers)
    print(f"content scoring per answer (labelled set, median {words:.0f} words, key points cached):")
    verdict = "met" if statistics.median(samples) <= 50 else "NOT met"
    print(line("content_score", samples) + f"   target p50 <= 50 ms: {verdict}")


def numpy_top5(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    scores = matrix @ query
    top = np.argpartition(-scores, 5)[:5]
    return top[np.argsort(-scores[top])]


def bench_search(name: str, data: np.ndarray, queries: np.ndarray, *, hnsw: bool = True) -> None:
    print(f"FAISS top-5, single query, {name}: {len(data)} x {DIM}")
    flat = faiss_index_new(index_type="flat")
    flat.add(data)
    exact = [flat.search(q[None, :], 5)[1][0] for q in queries]
    print(line("IndexFlatIP", timed_each(lambda q: flat.search(q[None, :], 5), queries)))
    print(line("numpy matrix product + argpartition (baseline)", timed_each(lambda q: numpy_top5(data, q), queries)))
    if not hnsw:
        return
    start = time.perf_counter()
    index = faiss_index_new(index_type="hnsw")
    index.add(data)
    build = time.perf_counter() - start
    approx = [index.search(q[None, :], 5)[1][0] for q in queries]
    recall = np.mean([len(set(a) & set(e)) / 5 for a, e in zip(approx, exact, strict=True)])
    print(line("IndexHNSWFlat M=32 efSearch=64", timed_each(lambda q: index.search(q[None, :], 5), queries))
          + f"   build {build:.1f} s, recall@5 {recall:.3f}")


def timed_each(fn, queries: np.ndarray) -> list[float]:  # noqa: ANN001
    out = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def clustered(n: int, *, centres: int = 500, spread: float = 0.06, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, DIM)).astype(np.float32)
    middle /= np.linalg.norm(middle, axis=1, keepdims=True)
    data = middle[rng.integers(0, centres, n)] + rng.normal(scale=spread, size=(n, DIM)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def bank_vectors() -> np.ndarray | None:
    try:
        from rag.index import bank_index

        index = bank_index()
        return np.ascontiguousarray(index.vectors) if len(index) else None
    except Exception as exc:  # the database may not be migrated where the bench runs
        print(f"(bank index unavailable: {type(exc).__name__}: {exc}; using synthetic vectors at bank size)")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-100k", action="store_true")
    args = parser.parse_args()
    import faiss

    faiss.omp_set_num_threads(1)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    bench_embedding()
    print()
    bench_scoring()
    print()
    bank = bank_vectors()
    if bank is None:
        bank = clustered(3000, centres=400, seed=1)
    rng = np.random.default_rng(7)
    queries = bank[rng.integers(0, len(bank), args.queries)] + rng.normal(scale=0.03, size=(args.queries, DIM))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    bench_search("the bank", bank, queries)
    if not args.skip_100k:
        print()
        data = clustered(args.vectors)
        picks = data[rng.integers(0, len(data), args.queries)] + rng.normal(scale=0.03, size=(args.queries, DIM))
        picks = (picks / np.linalg.norm(picks, axis=1, keepdims=True)).astype(np.float32)
        bench_search("synthetic clustered", data, picks)


if __name__ == "__main__":
    main()
