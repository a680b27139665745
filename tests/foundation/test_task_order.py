"""The embedded task pool under a burst: an answer's later step runs before other answers' first steps."""

from __future__ import annotations

import threading

import pytest
from celery import chain, signature

from interviewprep.celery import app
from pipeline import tasking

ran: list[str] = []
gate = threading.Event()


@app.task(name="tests.task_order.record")
def record(label: str) -> str:
    ran.append(label)
    return label


@app.task(name="tests.task_order.hold")
def hold() -> None:
    # Keeps the only worker busy until every chain is queued, so the order below is decided by the pool alone.
    assert gate.wait(10), "the test never released the pool"


@app.task(name="tests.task_order.fail")
def fail(label: str) -> None:
    ran.append(label)
    raise ValueError("this step fails")


def enqueue(sig) -> None:  # noqa: ANN001
    # What `task_enqueue` runs once the transaction commits (no database here, so no transaction to wait for).
    tasking._submit(sig)


def steps(*labels: str):  # noqa: ANN201
    return chain(*(signature("tests.task_order.record", args=(label,), immutable=True) for label in labels))


@pytest.fixture
def one_worker(monkeypatch, settings):  # noqa: ANN001, ANN201
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMBEDDED_TASK_ORDER = "priority"
    pool = tasking.PriorityPool(workers=1)
    monkeypatch.setattr(tasking, "_pool", pool)
    ran.clear()
    gate.clear()
    yield pool
    gate.set()
    pool.shutdown(wait=True)


def test_a_later_step_runs_before_first_steps_queued_after_it(one_worker) -> None:  # noqa: ANN001
    enqueue(signature("tests.task_order.hold", immutable=True))
    enqueue(steps("A1", "A2", "A3"))
    enqueue(steps("B1", "B2", "B3"))
    enqueue(steps("C1", "C2", "C3"))
    assert one_worker.depth()["queued"] >= 3  # B and C are waiting while the pool is held
    gate.set()
    assert tasking.embedded_wait(30)
    # Each answer's chain finishes before the next answer's first step; a plain FIFO of steps would interleave
    # them (A1 B1 C1 A2 B2 C2 ...) and score nobody until every answer was transcribed.
    assert ran == ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"]


def test_higher_priority_first_and_fifo_among_equals() -> None:
    pool = tasking.PriorityPool(workers=1)
    order: list[str] = []
    release, busy = threading.Event(), threading.Event()
    pool.submit(lambda: (busy.set(), release.wait(10)))
    assert busy.wait(10)
    futures = [pool.submit(order.append, name, priority=p) for name, p in
               (("low-1", 0), ("high", 5), ("low-2", 0), ("mid", 2))]
    assert pool.depth() == {"queued": 4, "running": 1}
    release.set()
    for future in futures:
        future.result(timeout=10)
    pool.shutdown(wait=True)
    assert order == ["high", "mid", "low-1", "low-2"]


def test_a_failed_step_stops_its_chain_only(one_worker) -> None:  # noqa: ANN001
    enqueue(signature("tests.task_order.hold", immutable=True))
    enqueue(chain(signature("tests.task_order.fail", args=("A1",), immutable=True),
                               signature("tests.task_order.record", args=("A2",), immutable=True)))
    enqueue(steps("B1", "B2"))
    gate.set()
    assert tasking.embedded_wait(30)
    assert ran == ["A1", "B1", "B2"]  # A2 never runs after A1 failed; B is not affected


def test_fifo_setting_restores_whole_chains_in_arrival_order(monkeypatch, settings) -> None:  # noqa: ANN001
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMBEDDED_TASK_ORDER = "fifo"
    pool = tasking.PriorityPool(workers=1, fifo=True)
    monkeypatch.setattr(tasking, "_pool", pool)
    ran.clear()
    enqueue(steps("A1", "A2"))
    enqueue(steps("B1", "B2"))
    assert tasking.embedded_wait(30)
    pool.shutdown(wait=True)
    assert ran == ["A1", "A2", "B1", "B2"]
