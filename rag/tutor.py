"""The tutor chat: a free technical question answered from the bank's reference answers, with its sources.

Offline (always available), the reply is the nearest reference answer, its key points and the other close
sources. With Gemini configured, Gemini writes the reply grounded in those same sources (structured output), and
any failure falls back to the offline reply. The reply names its engine.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
# Below this similarity the nearest reference answer is about something else: say so instead of answering.
MIN_SOURCE_SIMILARITY = 0.35


class TutorReply(BaseModel):
    answer: str = Field(max_length=2500)
    key_points: list[str] = Field(default_factory=list, max_length=8)


def _offline_reply(question: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
    best = sources[0]
    return {"engine": "offline", "answer": best["answer"], "key_points": best["key_points"],
            "intro": f"The closest question in the bank is \u201c{best['question']}\u201d ({best['topic']} / "
                     f"{best['subtopic']}). Here is how a strong answer to it goes:"}


def tutor_answer(*, question: str) -> dict[str, Any]:
    """Answer `question` from the bank. Raises ValueError for an empty or oversize question."""
    from rag.feedback.gemini import GeminiError, gemini_configured, gemini_generate
    from rag.selectors import tutor_sources

    question = " ".join(question.split())
    if not question:
        raise ValueError("Ask a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValueError(f"Questions are limited to {MAX_QUESTION_CHARS} characters.")
    sources = tutor_sources(query=question, k=3)
    if not sources or sources[0]["similarity"] < MIN_SOURCE_SIMILARITY:
        return {"engine": "offline", "question": question, "sources": sources, "answer": "", "key_points": [],
                "intro": "The question bank has nothing close to that yet. Try naming the concept, e.g. "
                         "\u201cWhat is a database index?\u201d"}
    reply = _offline_reply(question, sources)
    if gemini_configured():
        context = "\n\n".join(f"[{s['ext_id']}] Q: {s['question']}\nA: {s['answer']}" for s in sources)
        try:
            generated = gemini_generate(
                schema=TutorReply,
                system="You are a patient interview tutor. Answer the candidate's question in 80-200 words of plain "
                       "prose using only the reference material given, then list the key points to remember.",
                prompt=f"Reference material:\n{context}\n\nCandidate's question: {question}")
            reply = {"engine": "gemini", "answer": generated.answer, "key_points": generated.key_points,
                     "intro": "From the bank's reference answers:"}
        except GeminiError as exc:
            log.warning("tutor: Gemini failed (%s); answering offline", exc.reason)
    return {"question": question, "sources": sources, **reply}
