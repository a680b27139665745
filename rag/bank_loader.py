"""Reading and validating the question bank files (rag/bank/<topic>.json, format in rag/bank/SCHEMA.md).

Pure: no database. `bank_read()` returns every topic file validated, or raises `BankError` naming the file and
the question id of every problem found (all problems at once, so one run fixes a file). Writing the rows is
`rag.services.bank_load`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BANK_DIR = Path(__file__).resolve().parent / "bank"
KINDS = ("technical", "behavioral")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_QUESTIONS_PER_SUBTOPIC = 3


class BankError(Exception):
    """The bank files are invalid; the message lists each problem with its file and question id."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid question bank:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class BankTopic:
    slug: str
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class BankSubtopic:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class Misconception:
    key_point: int
    claim: str
    correction: str
    why: str


@dataclass(frozen=True)
class BankItem:
    ext_id: str
    topic_slug: str
    subtopic_slug: str
    difficulty: int
    text: str
    reference_answer: str
    key_points: tuple[str, ...]
    hint: str
    follow_ups: tuple[str, ...]
    tags: tuple[str, ...]
    # What judgement needs (rag/bank/SCHEMA.md): common wrong claims with their corrections, one probe question per
    # key point (asks for the point without stating it), and the id of the question this one duplicates (then it
    # is kept for history but never drawn).
    misconceptions: tuple[Misconception, ...] = ()
    probes: tuple[str, ...] = ()
    duplicate_of: str = ""

    @property
    def content_hash(self) -> str:
        return content_hash(text=self.text, reference_answer=self.reference_answer, key_points=self.key_points)


@dataclass
class BankFile:
    path: Path
    topic: BankTopic
    subtopics: list[BankSubtopic] = field(default_factory=list)
    items: list[BankItem] = field(default_factory=list)
    # Every string id seen, valid question or not, so a duplicate is reported even next to other problems.
    ids: list[str] = field(default_factory=list)


def content_hash(*, text: str, reference_answer: str, key_points: list[str] | tuple[str, ...]) -> str:
    """Hash of exactly what the FAISS index embeds: a change here (and only here) forces a rebuild."""
    payload = json.dumps([text, reference_answer, list(key_points)], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _words(text: str) -> int:
    return len(text.split())


def _str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _check_question(raw: Any, where: str, subtopics: set[str], topic_slug: str,
                    problems: list[str]) -> BankItem | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: a question must be an object")
        return None
    qid = raw.get("id")
    where = f"{where} id={qid!r}"
    before = len(problems)
    required = ("id", "subtopic", "difficulty", "question", "reference_answer", "key_points", "hint")
    for name in required:
        if name not in raw:
            problems.append(f"{where}: missing field {name!r}")
    unknown = set(raw) - {*required, "follow_ups", "tags", "misconceptions", "probes", "duplicate_of"}
    if unknown:
        problems.append(f"{where}: unknown fields {sorted(unknown)}")
    if len(problems) > before:
        return None
    if not isinstance(qid, str) or not re.fullmatch(rf"{re.escape(topic_slug)}-\d{{3,}}", qid):
        problems.append(f"{where}: id must be '<topic slug>-NNN' ({topic_slug}-001)")
    if raw["subtopic"] not in subtopics:
        problems.append(f"{where}: subtopic {raw['subtopic']!r} is not in the file's subtopics")
    difficulty = raw["difficulty"]
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or difficulty not in (1, 2, 3):
        problems.append(f"{where}: difficulty must be 1, 2 or 3, not {difficulty!r}")
    if not _str(raw["question"]):
        problems.append(f"{where}: question must be non-empty text")
    reference = raw["reference_answer"]
    if not _str(reference) or not 60 <= _words(reference) <= 150:
        count = _words(reference) if isinstance(reference, str) else "no"
        problems.append(f"{where}: reference_answer must be 60 to 150 words ({count} words)")
    key_points = raw["key_points"]
    if not isinstance(key_points, list) or not 3 <= len(key_points) <= 6:
        problems.append(f"{where}: key_points must be a list of 3 to 6 sentences")
        key_points = []
    for i, point in enumerate(key_points):
        if not _str(point) or not 6 <= _words(point) <= 20:
            problems.append(f"{where}: key_points[{i}] must be one sentence of 6 to 20 words: {point!r}")
    if len({str(p).strip().lower() for p in key_points}) != len(key_points):
        problems.append(f"{where}: duplicate key points")
    if not _str(raw["hint"]):
        problems.append(f"{where}: hint must be one non-empty sentence")
    follow_ups = raw.get("follow_ups", [])
    if not isinstance(follow_ups, list) or len(follow_ups) > 3 or not all(
            _str(f) and f.strip().endswith("?") for f in follow_ups):
        problems.append(f"{where}: follow_ups must be 0 to 3 questions ending with '?'")
        follow_ups = []
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 6 or not all(_str(t) and len(t) <= 40 for t in tags):
        problems.append(f"{where}: tags must be 0 to 6 short strings")
        tags = []
    misconceptions = _check_misconceptions(raw.get("misconceptions", []), len(key_points), where, problems)
    probes = raw.get("probes", [])
    if not isinstance(probes, list) or (probes and len(probes) != len(key_points)) or not all(
            _str(p) and p.strip().endswith("?") for p in probes):
        problems.append(f"{where}: probes must be one question ending with '?' per key point, in their order")
        probes = []
    duplicate_of = raw.get("duplicate_of", "")
    if duplicate_of and (not isinstance(duplicate_of, str) or duplicate_of == qid
                         or not re.fullmatch(r"[a-z0-9-]+-\d{3,}", duplicate_of)):
        problems.append(f"{where}: duplicate_of must be another question's id")
    if len(problems) > before:
        return None
    return BankItem(ext_id=qid, topic_slug=topic_slug, subtopic_slug=raw["subtopic"], difficulty=difficulty,
                    text=" ".join(raw["question"].split()), reference_answer=" ".join(reference.split()),
                    key_points=tuple(" ".join(p.split()) for p in key_points), hint=raw["hint"].strip(),
                    follow_ups=tuple(f.strip() for f in follow_ups), tags=tuple(t.strip() for t in tags),
                    misconceptions=misconceptions, probes=tuple(" ".join(p.split()) for p in probes),
                    duplicate_of=duplicate_of or "")


def _check_misconceptions(raw: Any, points: int, where: str, problems: list[str]) -> tuple[Misconception, ...]:
    if not isinstance(raw, list) or len(raw) > 4:
        problems.append(f"{where}: misconceptions must be a list of at most 4 objects")
        return ()
    found = []
    for i, item in enumerate(raw):
        ok = (isinstance(item, dict) and set(item) <= {"key_point", "claim", "correction", "why"}
              and all(_str(item.get(k)) for k in ("claim", "correction", "why"))
              and isinstance(item.get("key_point"), int) and not isinstance(item.get("key_point"), bool)
              and 0 <= item["key_point"] < points)
        if not ok:
            problems.append(f"{where}: misconceptions[{i}] needs key_point (index of a key point), claim, "
                            "correction and why")
            continue
        found.append(Misconception(key_point=item["key_point"], claim=" ".join(item["claim"].split()),
                                   correction=" ".join(item["correction"].split()), why=" ".join(item["why"].split())))
    return tuple(found)


def bank_file_read(path: Path, problems: list[str]) -> BankFile | None:
    """Validate one topic file, appending problems; None when the file cannot be used at all."""
    name = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{name}: not readable JSON: {exc}")
        return None
    if not isinstance(raw, dict) or not {"topic", "subtopics", "questions"} <= set(raw):
        problems.append(f"{name}: must be an object with 'topic', 'subtopics' and 'questions'")
        return None
    topic = raw["topic"]
    if not isinstance(topic, dict) or not all(_str(topic.get(k)) for k in ("slug", "name", "kind")):
        problems.append(f"{name}: topic needs slug, name and kind")
        return None
    slug = topic["slug"]
    if not SLUG_RE.match(slug) or path.stem != slug:
        problems.append(f"{name}: topic slug {slug!r} must be a slug equal to the file name")
    if topic["kind"] not in KINDS:
        problems.append(f"{name}: topic kind must be one of {KINDS}, not {topic['kind']!r}")
    bank_file = BankFile(path=path, topic=BankTopic(slug=slug, name=topic["name"].strip(), kind=topic["kind"],
                                                    description=str(topic.get("description", "")).strip()))
    sub_slugs: set[str] = set()
    for i, sub in enumerate(raw["subtopics"] if isinstance(raw["subtopics"], list) else []):
        if not isinstance(sub, dict) or not _str(sub.get("slug")) or not _str(sub.get("name")):
            problems.append(f"{name}: subtopics[{i}] needs slug and name")
            continue
        if not SLUG_RE.match(sub["slug"]) or sub["slug"] in sub_slugs:
            problems.append(f"{name}: subtopic slug {sub['slug']!r} is not a slug or is repeated")
            continue
        sub_slugs.add(sub["slug"])
        bank_file.subtopics.append(BankSubtopic(slug=sub["slug"], name=sub["name"].strip(),
                                                description=str(sub.get("description", "")).strip()))
    if not bank_file.subtopics:
        problems.append(f"{name}: no valid subtopics")
    questions = raw["questions"] if isinstance(raw["questions"], list) else []
    if not questions:
        problems.append(f"{name}: no questions")
    for i, question in enumerate(questions):
        if isinstance(question, dict) and isinstance(question.get("id"), str):
            bank_file.ids.append(question["id"])
        item = _check_question(question, f"{name} questions[{i}]", sub_slugs, slug, problems)
        if item is not None:
            bank_file.items.append(item)
    counts = {s: 0 for s in sub_slugs}
    for item in bank_file.items:
        counts[item.subtopic_slug] += 1
    for sub_slug, count in sorted(counts.items()):
        if count < MIN_QUESTIONS_PER_SUBTOPIC:
            problems.append(f"{name}: subtopic {sub_slug!r} has {count} questions "
                            f"(at least {MIN_QUESTIONS_PER_SUBTOPIC})")
    return bank_file


def bank_read(directory: Path | None = None) -> list[BankFile]:
    """Every `*.json` in the bank folder, validated together: ids are unique across the whole bank."""
    directory = Path(directory or BANK_DIR)
    problems: list[str] = []
    files = [f for f in (bank_file_read(p, problems) for p in sorted(directory.glob("*.json"))) if f]
    seen_ids: dict[str, str] = {}
    seen_topics: dict[str, str] = {}
    for bank_file in files:
        name = bank_file.path.name
        slug = bank_file.topic.slug
        if slug in seen_topics:
            problems.append(f"{name}: topic {slug!r} already defined in {seen_topics[slug]}")
        seen_topics[bank_file.topic.slug] = name
        for ext_id in bank_file.ids:
            if ext_id in seen_ids:
                problems.append(f"{name} id={ext_id!r}: duplicate id (also in {seen_ids[ext_id]})")
            seen_ids.setdefault(ext_id, name)
    for bank_file in files:
        for item in bank_file.items:
            if item.duplicate_of and item.duplicate_of not in seen_ids:
                problems.append(f"{bank_file.path.name} id={item.ext_id!r}: duplicate_of names an unknown id "
                                f"{item.duplicate_of!r}")
    if problems:
        raise BankError(problems)
    return files
