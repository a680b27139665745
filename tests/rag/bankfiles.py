"""Small, valid bank files written in tests (the real bank is loaded separately by tests/conftest.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

REFERENCE = ("A queue serves items in first-in, first-out order: the item that waited longest leaves first. "
             "It supports enqueue at the back and dequeue at the front, both in constant time when it is built on "
             "a linked list or a circular buffer. Queues appear wherever work must be handled in arrival order, "
             "for example breadth-first search, print spooling and request buffers between services. A priority "
             "queue is different: it serves the most urgent item first and is usually built on a binary heap.")
KEY_POINTS = [
    "A queue serves items in first-in first-out order.",
    "Enqueue and dequeue both run in constant time.",
    "A circular buffer or linked list can implement a queue efficiently.",
    "Breadth-first search uses a queue to visit nodes level by level.",
]


def question(number: int, *, topic: str = "zz-queues", subtopic: str = "basics", difficulty: int = 1,
             text: str | None = None, reference: str = REFERENCE, key_points: list[str] | None = None) -> dict:
    return {
        "id": f"{topic}-{number:03d}",
        "subtopic": subtopic,
        "difficulty": difficulty,
        "question": text or f"Question {number}: what is a queue and where would you use one?",
        "reference_answer": reference,
        "key_points": list(key_points or KEY_POINTS),
        "hint": "Think about the order in which items leave.",
        "follow_ups": ["How would you build a queue from two stacks?"],
        "tags": ["queue"],
    }


def bank_file(*, topic: str = "zz-queues", kind: str = "technical", questions: list[dict] | None = None) -> dict:
    return {
        "topic": {"slug": topic, "name": f"Test topic {topic}", "kind": kind, "description": "Queues for tests."},
        "subtopics": [{"slug": "basics", "name": "Basics", "description": "The basics."}],
        "questions": questions if questions is not None else [question(n, topic=topic, difficulty=1 + n % 3)
                                                              for n in (1, 2, 3)],
    }


def write(directory: Path, content: dict[str, Any], *, name: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name or content['topic']['slug']}.json"
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return path


def mutated(content: dict, index: int, **changes: Any) -> dict:
    """A deep copy with question `index` changed (a value of None deletes the field)."""
    content = copy.deepcopy(content)
    for key, value in changes.items():
        if value is None:
            content["questions"][index].pop(key, None)
        else:
            content["questions"][index][key] = value
    return content
