"""STAR detection for behavioral answers: which of Situation, Task, Action, Result the answer covers, and where.

Cue phrases per part, matched sentence by sentence. A sentence is given to at most one part, in story order, so
"I was asked to lead the migration" counts as the task and not also as an action. Deliberately lexical and
deterministic: it has to explain itself with a quote, and it runs in microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.feedback_schema import StarPart

PARTS = ("situation", "task", "action", "result")

_CUES: dict[str, tuple[str, ...]] = {
    "situation": (
        r"\b(when|while) i was\b", r"\bat my (previous|last|old|current|first) (job|company|role|team|employer)\b",
        r"\b(back )?in (19|20)\d\d\b", r"\bthe (situation|context|background) was\b", r"\bthere was a\b",
        r"\bwe (were|had) (a|an|two|three|some|this)\b", r"\bour team\b", r"\bi was working (at|on|as)\b",
        r"\bworking (at|as) an?\b", r"\bduring (my|an?|the) (internship|project|sprint|launch|semester)\b",
        r"\bi was (an?|the) [a-z]+ (at|on|in)\b", r"\blast (year|summer|quarter|spring|fall|winter)\b",
        r"\bonce,? (at|in|on|when)\b",
    ),
    "task": (
        r"\bmy (goal|task|job|role|responsibility|assignment|mandate) was\b",
        r"\bi was (asked|responsible|tasked|supposed|assigned|expected) (to|for|with)\b",
        r"\b(i|we) (needed|had|wanted) to\b", r"\bthe (challenge|problem|issue|goal|deadline) was\b",
        r"\b(it|this) was (up to me|my job)\b", r"\bi had to\b", r"\bwe had to\b", r"\bthe aim was\b",
    ),
    "action": (
        r"\bi (decided|built|created|wrote|led|organi[sz]ed|implemented|talked|proposed|set up|started|spoke|met"
        r"|reached out|analy[sz]ed|designed|introduced|scheduled|refactored|automated|reworked|prioriti[sz]ed"
        r"|split|added|measured|interviewed|negotiated|asked|called|mentored|documented|migrated|rolled out"
        r"|took|ran|investigated|suggested|coordinated|wrote up|paired|replaced|fixed|tested)\b",
        r"\bi (?!needed|wanted|used|was|worked)[a-z]{3,}ed\b",  # any first-person past-tense verb: "I profiled"
        r"\bso i\b", r"\b(first|then|next|after that),? i\b", r"\bmy approach was\b", r"\bwhat i did was\b",
    ),
    "result": (
        r"\bas a result\b", r"\bthe (result|outcome|impact) was\b", r"\bin the end\b", r"\bended up\b",
        r"\b(reduced|increased|improved|cut|saved|grew|raised|lowered|doubled|halved)\b[^.!?]*\b\d+",
        r"\b\d+(\.\d+)? ?(%|percent)\b", r"\bwe (shipped|delivered|launched|hit|met|finished|won)\b",
        r"\bwhich (led|meant|resulted)\b", r"\b(i|we) learned\b", r"\b(the|this) (lesson|takeaway)\b",
        r"\bsince then\b", r"\bafterwards\b", r"\bon time\b",
    ),
}
_COMPILED = {part: tuple(re.compile(p) for p in patterns) for part, patterns in _CUES.items()}
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*")


@dataclass(frozen=True)
class StarResult:
    parts: tuple[StarPart, ...]

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(p.part for p in self.parts if p.present)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(p.part for p in self.parts if not p.present)


def sentences_split(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text or "") if s.strip()]


def _hits(sentence: str, part: str) -> int:
    lowered = sentence.lower()
    return sum(1 for pattern in _COMPILED[part] if pattern.search(lowered))


def star_detect(text: str) -> StarResult:
    """Which STAR parts `text` covers, each with the first sentence that covers it (at most 160 characters)."""
    sentences = sentences_split(text)
    hits = [{part: _hits(s, part) for part in PARTS} for s in sentences]
    used: set[int] = set()
    found: dict[str, int] = {}
    # Story order: the situation comes first, the result last. For each part take the earliest unused sentence at
    # or after the previous part's sentence where this part is the sentence's strongest cue (ties go to the part
    # being assigned, since parts are visited in story order).
    floor = 0
    for part in PARTS:
        for index in range(floor, len(sentences)):
            if index in used or not hits[index][part]:
                continue
            if hits[index][part] >= max(hits[index].values()):
                found[part] = index
                used.add(index)
                floor = index
                break
        else:
            # Out of order is still present (a result stated up front): take any unused sentence with the cue.
            for index, sentence_hits in enumerate(hits):
                if index not in used and sentence_hits[part]:
                    found[part] = index
                    used.add(index)
                    break
    parts = tuple(
        StarPart(part=part, present=part in found,
                 quote=_quote(sentences[found[part]]) if part in found else None)
        for part in PARTS
    )
    return StarResult(parts=parts)


def _quote(sentence: str, limit: int = 160) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"
