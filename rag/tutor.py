"""The tutor chat: a free technical question answered from the bank, only when the bank covers it.

One turn:
1. Resolve the question against the previous turn (`question_resolve`): "the second one" picks the second item the
   previous question listed, "why?" asks again about the previous focus, "and in Java?" / "what about X?" adds X to
   the previous question. The resolved `query` (standalone) is what is searched; the `focus` is what is asked now.
2. Decide coverage (`tutor_coverage`): the query is matched to bank questions on their wording, key points and
   reference answer (rag/matching.py's score); the bank covers it when the best score and its margin over the
   runner-up pass thresholds tuned on tests/data/tutor/ (docs/tutor.md), and the rare terms of the focus appear in
   the matched question: below TERMS_ALL_BELOW all of them, up to COVER_SURE the names among them ("Bloom", "Java",
   "CTE"). A name the matched question never mentions means the nearest question is about something else, however
   similar the embeddings; an ordinary word it never uses is just the asker's own phrasing.
3. Covered: quote only the sentences of that one question's reference answer nearest to the focus, and the key
   points nearest to it; the matched question is the one source. Not covered: "The bank does not cover X; the
   nearest is Y", and no sources. With Gemini configured, Gemini phrases the covered answer from those passages
   only (structured output) and the reply says so; any failure falls back to the offline reply.

The conversation (the previous turns) lives in the caller's storage (the page keeps it in the user's session); a
turn's `query`, `focus`, `items` and `ext_id` are what the next turn resolves against.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
# Tuned on the tuning half of tests/data/tutor/cases.jsonl (docs/tutor.md); the held-out half is only measured.
COVER_MIN = 0.55      # matching score below which the nearest bank question is about something else
COVER_SURE = 0.75     # at or above this score the margin does not matter
MARGIN_MIN = 0.06     # between COVER_MIN and COVER_SURE the best must lead the runner-up by this much
TERMS_ALL_BELOW = 0.60  # under this score every rare term must be in the matched question, above it only names
RARE_DF = 12          # a term used by at most this many bank questions names a concept, not a way of asking
MAX_SENTENCES = 3     # sentences quoted from the reference answer
SENTENCE_DROP = 0.12  # quote sentences within this cosine of the best one
MAX_POINTS = 3
FOLLOW_UP_WORDS = 9   # a longer question is read as standalone even when it starts with "and" or "why"
LEXICAL_WEIGHT = 0.15  # share of rare asked words the question uses (idf-weighted), added to the matching score
ADDED_WEIGHT = 0.6    # a follow-up's new words against the previous question, in the searched vector

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#]*(?:[-/][A-Za-z0-9+#]+)*")
# Words that say how something is asked, not what about: never a reason to refuse.
_ASKING_WORDS = """
a about actually all also an and any are as at be been being best between but by can could compare comparison
describe detail details difference differences different do does doing done example examples explain explained
for from give good happens how i if in into is it its kind kinds like main me mean meaning means more most my of on
one ones or other our please really say should so some tell than that the their them then there these they thing
things this those to use used uses using vs versus want was way ways we what when where which while who why will
with work works would you your yourself know understand help question questions again more less concept concepts
idea ideas over under important matter matters talk overview basics basic simple simply short briefly quick
compared comparing differ differs contrast contrasted relate related relation relationship purpose point
"""
_ASKING = frozenset(_ASKING_WORDS.split())
_STARTS_FOLLOW_UP = re.compile(r"^(?:and|but|so|also|then|ok(?:ay)?,?|what about|how about|why|how so|what if)\b",
                               re.IGNORECASE)
_ANAPHORA = re.compile(r"\b(?:it|its|that|this|these|those|they|them|the (?:first|second|third|fourth|fifth|last|"
                       r"former|latter)(?: one)?)\b", re.IGNORECASE)
_ORDINAL = re.compile(r"\bthe (first|second|third|fourth|fifth|last|former|latter)(?: one)?\b", re.IGNORECASE)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "former": 0, "latter": -1}
_WHY_ONLY = re.compile(r"^(?:and |but |so )?(?:why|how so|why is that|why does (?:it|that) matter|why not)\W*$",
                       re.IGNORECASE)
_LEAD = re.compile(r"^(?:and|but|so|also|then|ok(?:ay)?,?|what about|how about|and what about|and in|and for|and)\s+",
                   re.IGNORECASE)


class TutorReply(BaseModel):
    answer: str = Field(max_length=2500)
    key_points: list[str] = Field(default_factory=list, max_length=8)


@dataclass(frozen=True)
class ResolvedQuestion:
    question: str     # as typed (whitespace normalised)
    query: str        # standalone text searched in the bank
    focus: str        # what this turn asks: quoted sentences are chosen for it, its rare terms must be covered
    follow_up: bool
    added: str = ""    # the words a follow-up adds ("in Java"), searched with more weight than ...
    context: str = ""  # ... the previous question they extend


@dataclass(frozen=True)
class Coverage:
    covered: bool
    ext_id: str           # the best bank question ("" with an empty bank)
    score: float
    margin: float
    runner_up: str
    missing_terms: tuple[str, ...]  # rare terms of the focus the best question never mentions that refuse it


# --- turn resolution ---------------------------------------------------------------------------------------


def _enumeration(text: str) -> list[str]:
    """The items a question lists ("IaaS, PaaS, SaaS and serverless" / "between a mutex and a semaphore")."""
    text = text.rstrip(" ?.!")
    listed = re.search(r"((?:[^,;:?]+, )+[^,;:?]+?,? (?:and|or) [^,;:?]+)", text)
    if listed:
        parts = [p.strip() for p in re.split(r",\s*(?:and |or )?|\s+(?:and|or)\s+", listed.group(1)) if p.strip()]
        if len(parts) >= 3:
            width = len(parts[1].split())
            parts[0] = " ".join(parts[0].split()[-width:])
            parts[-1] = " ".join(parts[-1].split()[:len(parts[-2].split())])
            return parts
    pair = re.search(r"\bbetween (.+?) and (.+?)(?:[,;]|$)", text, re.IGNORECASE)
    if pair:
        return [pair.group(1).strip(), pair.group(2).strip()]
    return []


def question_resolve(*, question: str, previous: dict[str, Any] | None) -> ResolvedQuestion:
    """The standalone query a question asks, given the previous turn of the conversation (None: a first turn)."""
    words = question.split()
    follow_up = previous is not None and len(words) <= FOLLOW_UP_WORDS and bool(
        _STARTS_FOLLOW_UP.search(question) or _ANAPHORA.search(question))
    if not follow_up or previous is None:
        return ResolvedQuestion(question=question, query=question, focus=question, follow_up=False)
    prev_query, prev_focus = previous.get("query") or previous["question"], previous.get("focus") or ""
    if _WHY_ONLY.match(question):
        focus = f"Why: {prev_focus or prev_query}"
        return ResolvedQuestion(question=question, query=prev_query, focus=focus, follow_up=True)
    ordinal = _ORDINAL.search(question)
    items = list(previous.get("items") or [])
    if ordinal and items:
        index = _ORDINALS[ordinal.group(1).lower()]
        if index < len(items):
            item = items[index]
            focus = _ORDINAL.sub(item, question)
            focus = _LEAD.sub("", focus).strip() or item
            if focus.lower().startswith(item.lower()) or len(focus.split()) <= len(item.split()) + 2:
                focus = f"What is {item}?"
            return ResolvedQuestion(question=question, query=f"{focus} {prev_query}", focus=focus, follow_up=True)
    # "and in Java?", "what about UDP?", "how is it used in X?": the new words lead, read in the previous question's
    # context (searched with ADDED_WEIGHT on the new words, so the previous topic does not drown them).
    added = _LEAD.sub("", question).strip(" ?") or question
    return ResolvedQuestion(question=question, query=f"{prev_query} {added}", focus=f"{prev_focus} {added}".strip(),
                            follow_up=True, added=added, context=prev_query)


# --- coverage ----------------------------------------------------------------------------------------------


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _terms(text: str) -> set[str]:
    words = _WORD.findall(text)
    # "trade-off" is also written "tradeoff": both spellings count.
    return {_stem(w) for w in words} | {w.lower() for w in words} | {_stem(w.replace("-", "")) for w in words}


@lru_cache(maxsize=4)
def _bank_vocabulary(signature: tuple[int, str]) -> tuple[dict[str, set[str]], dict[str, int], dict[str, int]]:
    """ext_id -> its terms (question, reference answer, key points, tags); term -> how many questions use it;
    ext_id -> its subtopic id."""
    from rag.models import BankQuestion

    per_question: dict[str, set[str]] = {}
    df: dict[str, int] = {}
    subtopic_of: dict[str, int] = {}
    for ext_id, subtopic_id, text, ref, points, tags in (
            BankQuestion.objects.filter(is_active=True)
            .values_list("ext_id", "subtopic_id", "text", "reference_answer", "key_points", "tags")):
        terms = _terms(" ".join([text, ref, *points, *tags]))
        per_question[ext_id] = terms
        subtopic_of[ext_id] = subtopic_id
        for term in terms:
            df[term] = df.get(term, 0) + 1
    return per_question, df, subtopic_of


def _vocabulary() -> tuple[dict[str, set[str]], dict[str, int], dict[str, int]]:
    from django.db.models import Count, Max

    from rag.models import BankQuestion

    stats = BankQuestion.objects.filter(is_active=True).aggregate(n=Count("id"), at=Max("updated_at"))
    return _bank_vocabulary((stats["n"], str(stats["at"])))


def _content_terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in _ASKING and len(w) >= 2}


def _rare_terms(text: str, df: dict[str, int]) -> list[str]:
    """Words of `text` that name a concept: not a way of asking, and used by few bank questions (or none)."""
    found: list[str] = []
    for word in _WORD.findall(text):
        lowered = word.lower()
        if (len(lowered) < 3 and not (word.isupper() and len(word) >= 2)) or lowered in _ASKING:
            continue
        if min(df.get(lowered, 0), df.get(_stem(word), 0)) <= RARE_DF and word not in found:
            found.append(word)
    return found


def _query_vector(resolved: ResolvedQuestion) -> np.ndarray:
    from rag.embeddings import embed

    if not resolved.added:
        return embed([resolved.query])
    added, context = embed([resolved.added, resolved.context])
    vector = ADDED_WEIGHT * added + (1 - ADDED_WEIGHT) * context
    return (vector / max(float(np.linalg.norm(vector)), 1e-9)).reshape(1, -1).astype(np.float32)


def tutor_coverage(*, resolved: ResolvedQuestion) -> Coverage:
    """Whether the bank answers the resolved question (see the module docstring), and with which question. The
    margin is taken over the best question of another subtopic: two questions on one concept (the GIL, asked two
    ways) are not a reason to doubt which concept was asked."""
    from rag.index import bank_index, bank_search
    from rag.matching import match_best, match_scores
    from rag.models import BankQuestion

    active = set(BankQuestion.objects.filter(is_active=True).values_list("ext_id", flat=True))
    if not active:
        return Coverage(False, "", 0.0, 0.0, "", ())
    hits = bank_search(query_vectors=_query_vector(resolved), k=len(bank_index()), active_ids=active)[0]
    per_question, df, subtopic_of = _vocabulary()
    scores = match_scores((entry.ext_id, entry.field, score) for entry, score in hits)
    # MiniLM reads "global interpreter lock" close to "the global keyword": the words a question shares with the
    # asked one, weighted by how rare they are in the bank, settle such near-ties.
    weights = {t: math.log(len(per_question) / (1 + df.get(t, 0))) for t in _content_terms(resolved.focus)}
    total = sum(w for w in weights.values() if w > 0)
    if total > 0:
        scores = {k: v + LEXICAL_WEIGHT * sum(w for t, w in weights.items() if w > 0 and t in per_question.get(k, ()))
                  / total for k, v in scores.items()}
    best = match_best(scores)
    if best is None:
        return Coverage(False, "", 0.0, 0.0, "", ())
    others = {k: v for k, v in scores.items() if subtopic_of.get(k) != subtopic_of.get(best.ext_id)}
    runner = max(others, key=others.__getitem__, default="")
    margin = best.score - others.get(runner, 0.0)
    known = per_question.get(best.ext_id, set())
    missing = tuple(t for t in _rare_terms(resolved.focus, df) if t.lower() not in known and _stem(t) not in known)
    passes = best.score >= COVER_SURE or (best.score >= COVER_MIN and margin >= MARGIN_MIN)
    # How much a missing term counts depends on how sure the match is. People ask in their own words ("I keep
    # mixing up...", "netstat showed thousands of sockets"), so an ordinary word the bank never uses is no sign of
    # another subject, except for a weak match; a name ("Bloom", "Java", "CTE", "DaemonSet") the matched question
    # never mentions is one, unless the match is sure.
    if best.score >= COVER_SURE:
        vetoing: tuple[str, ...] = ()
    elif best.score >= TERMS_ALL_BELOW:
        vetoing = tuple(t for t in missing if _is_name(t, resolved.focus))
    else:
        vetoing = missing
    return Coverage(covered=passes and not vetoing, ext_id=best.ext_id, score=best.score, margin=margin,
                    runner_up=runner, missing_terms=vetoing)


def _is_name(term: str, text: str) -> bool:
    """A term written as a name: an acronym (CTE, JVM), CamelCase or digits (DaemonSet, G1), or a capitalised
    word that does not open the text (Bloom, Java)."""
    if re.fullmatch(r"[A-Z0-9]{2,}[a-z]?s?", term) or re.search(r"[a-z][A-Z]|\d", term):
        return True
    if not term[:1].isupper():
        return False
    first = re.match(r"\W*([A-Za-z][\w'-]*)", text)
    return not (first and first.group(1) == term)


# --- the reply ---------------------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])", text) if s.strip()]


def _nearest_passages(*, focus: str, texts: list[str], limit: int, anchor: str = "") -> list[str]:
    """The texts nearest to `focus` (within SENTENCE_DROP of the best), at most `limit`, in their own order. With an
    `anchor` (the key point nearest to the focus), nearness is the mean of both: "What is PaaS?" finds the sentence
    on "platform as a service" through the point "With PaaS the customer deploys code"."""
    from rag.embeddings import embed

    if not texts:
        return []
    vectors = embed([focus, anchor or focus, *texts])
    sims = vectors[2:] @ ((vectors[0] + vectors[1]) / 2)
    best = float(np.max(sims))
    ranked = [i for i in np.argsort(-sims)[:limit] if sims[i] >= best - SENTENCE_DROP]
    return [texts[i] for i in sorted(ranked)]


def _source(q: Any, coverage: Coverage) -> dict[str, Any]:
    return {"ext_id": q.ext_id, "question": q.text, "topic": q.topic.name, "subtopic": q.subtopic.name,
            "similarity": round(coverage.score, 3)}


def _not_covered(resolved: ResolvedQuestion, coverage: Coverage, nearest: Any) -> str:
    asked = ", ".join(coverage.missing_terms) if coverage.missing_terms else f"\u201c{resolved.focus.strip()}\u201d"
    if nearest is None:
        return f"The bank does not cover {asked}; it has no questions yet."
    return (f"The bank does not cover {asked}; the nearest question it has is \u201c{nearest.text}\u201d "
            f"({nearest.topic.name} / {nearest.subtopic.name}).")


def tutor_answer(*, question: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Answer `question`, a turn after `history` (the previous turns, oldest first). Raises ValueError for an empty
    or oversize question. The reply has `answer`, `covered`, `sources` (only those the answer uses) and what the
    next turn needs (`query`, `focus`, `items`, `ext_id`)."""
    from interviewprep.gemini import GeminiError, gemini_configured, gemini_generate
    from rag.models import BankQuestion

    question = " ".join(question.split())
    if not question:
        raise ValueError("Ask a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValueError(f"Questions are limited to {MAX_QUESTION_CHARS} characters.")
    previous = history[-1] if history else None
    resolved = question_resolve(question=question, previous=previous)
    coverage = tutor_coverage(resolved=resolved)
    matched = (BankQuestion.objects.select_related("topic", "subtopic").filter(ext_id=coverage.ext_id).first()
               if coverage.ext_id else None)
    base = {"question": question, "query": resolved.query, "focus": resolved.focus, "follow_up": resolved.follow_up,
            "score": round(coverage.score, 3), "margin": round(coverage.margin, 3),
            "missing_terms": list(coverage.missing_terms)}
    if not coverage.covered or matched is None:
        # Items still come from what the candidate asked, so "the second one" works after a refusal too.
        return {**base, "engine": "offline", "covered": False, "ext_id": "", "answer": _not_covered(
                    resolved, coverage, matched), "intro": "", "key_points": [], "sources": [],
                "nearest": _source(matched, coverage) if matched else None,
                "items": _enumeration(question) or list((previous or {}).get("items") or [])}
    points = _nearest_passages(focus=resolved.focus, texts=list(matched.key_points), limit=MAX_POINTS)
    quoted = _nearest_passages(focus=resolved.focus, texts=_sentences(matched.reference_answer), limit=MAX_SENTENCES,
                               anchor=_nearest_passages(focus=resolved.focus, texts=points, limit=1)[0] if points
                               else "")
    reply = {"engine": "offline", "answer": " ".join(quoted), "key_points": points,
             "intro": f"From the bank's answer to \u201c{matched.text}\u201d ({matched.topic.name} / "
                      f"{matched.subtopic.name}):"}
    if gemini_configured():
        passages = "\n".join(f"- {p}" for p in [*quoted, *points])
        try:
            generated = gemini_generate(
                schema=TutorReply,
                system="You are a patient interview tutor. Answer the candidate's question in 60-160 words of plain "
                       "prose using only the reference passages given (do not add facts they do not state), then "
                       "list the key points to remember.",
                prompt=f"Reference material [{matched.ext_id}] ({matched.text}):\n{passages}\n\n"
                       f"Candidate's question: {resolved.focus}")
            reply = {"engine": "gemini", "answer": generated.answer, "key_points": generated.key_points,
                     "intro": f"Gemini wrote this answer from the bank's passages on \u201c{matched.text}\u201d "
                              "(the source below) and nothing else:"}
        except GeminiError as exc:
            log.warning("tutor: Gemini failed (%s); answering offline", exc.reason)
    return {**base, **reply, "covered": True, "ext_id": matched.ext_id, "sources": [_source(matched, coverage)],
            "nearest": None, "items": _enumeration(question) or _enumeration(matched.text)}
