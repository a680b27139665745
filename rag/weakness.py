"""A strength offered as the weakness ("I'm a perfectionist", "I work too hard", "I care too much"), found robustly.

Interviewers hear it as evasive when the answer stops there; the same trait with a cost that really happened ("my
perfectionism delayed a release by two weeks") is a real weakness, and "I'm not a perfectionist; my real weakness
is ..." is not a disguise at all. So an answer to a weakness question is a disguised strength when

1. one of its sentences presents a strength as the weakness: a cue of one of several families (perfectionism,
   overwork, caring or investing too much, a virtue with "too" or "overly", high standards and self-demand, going
   above and beyond, doing it all oneself to be sure of the quality), not negated and not turned away from
   ("..., but my real weakness is ..."); or, failing a cue, a sentence near in meaning (MiniLM) to prototypes of
   such answers, at DISGUISED_SIM or more; and
2. no sentence tells a cost the weakness had (a date missed, work lost or redone, a problem for someone else).

The cue families and the threshold were chosen on tests/data/followups/disguised_tuning.jsonl only; the figures on
disguised_heldout.jsonl, written separately and not read while tuning, are in docs/followups.md
(`manage.py followup_table --disguised heldout`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

# A sentence this near in meaning to a prototype below presents a strength as the weakness (cosine, MiniLM).
DISGUISED_SIM = 0.60

_VIRTUE = (r"detail[- ]oriented|meticulous|thorough|dedicated|committed|passionate|hard[- ]?working|driven|honest|"
           r"organi[sz]ed|invested|ambitious|loyal|focused|reliable|helpful|demanding of myself")
_STRENGTH_CUES = re.compile(
    # perfectionism
    r"\b(?:perfectionis[tm]|flawless|(?:everything|it|things|my work|my code|every \w+) (?:to be|is) (?:perfect|"
    r"just right|exactly right)|until (?:it|everything|every \w+) is (?:perfect|exactly right|just right)|"
    r"keep polishing|"
    # overwork
    r"work(?:ing)? too (?:hard|much|long)|workaholic|too many hours|last one (?:in|at) the office|married to my "
    r"(?:work|job|laptop)|(?:can't|cannot|don't know (?:when|how) to|never|trouble|hard to) (?:stop|switch(?:ing)? "
    r"off|let (?:it |things )?go|leave (?:work|a task|things) unfinished)|no matter how late|put everything into|"
    # caring, investing, a virtue too far
    r"care too much|too (?:much of a )?(?:" + _VIRTUE + r")|overly (?:" + _VIRTUE + r")|too much attention to "
    r"detail|so (?:committed|dedicated|driven|passionate)|"
    # standards and self-demand
    r"(?:very |extremely |really |too |such )?high standards|hold myself to|(?:my own )?harshest critic|demanding "
    r"of myself|expect too much of myself|never settle for|push myself (?:very |too |really )?hard|exceed "
    r"expectations|over-?deliver|go(?:ing)? above and beyond|want results (?:fast|quickly)|"
    # doing it all oneself for the quality, putting others first
    r"(?:do|did) (?:them|it|everything) myself to (?:guarantee|ensure|make sure)|take on (?:too much|extra work "
    r"myself)|(?:team's|others'|everyone's|other people's) needs ahead of my own|i just care|i'm too good|"
    r"i am too good)\b")
# "... but my real weakness is ...": the strength was named only to be set aside.
_TURN_AWAY = re.compile(r"\b(?:but|though|although|however)\b[^.]*\b(?:real|actual|true|bigger|honest)\w* "
                        r"(?:weakness|problem|issue|flaw)")
# A cost that happened: something missed, late, lost, redone or broken, or someone else waiting or taking over.
_COST = re.compile(
    r"\b(?:cost (?:us|me|the|my|a|them|him|her|two|\d+)|delayed|slipped|slow(?:s|ed)? (?:me|us|the team|everyone|"
    r"down)|miss(?:ed)? (?:a|the|our|my|an|two|three|\d+|action)|lost (?:a|the|us|me|two|\d+|days?|weeks?|time|track)|"
    r"shipped late|behind schedule|fell behind|had to (?:redo|rewrite|move|take over|explain|renegotiate|throw|"
    r"rework)|threw away|thrown away|wasted|made (?:it|things) worse|broke|escalated|(?:became|become|was) (?:the|a) "
    r"bottleneck|timed out|froze|waited (?:on|for) (?:me|my)|spent (?:\w+ )?(?:days|weeks) (?:setting|fixing|on))\b")
_NEG = re.compile(r"\b(?:not|never|no|nothing|n't|hardly|without)\b|n't\b")

_PROTOTYPES = (
    "My biggest weakness is that I am a perfectionist.",
    "I work too hard and care too much about my job.",
    "My weakness is that I am too dedicated and never stop until the work is perfect.",
    "I hold myself to very high standards, which can be a weakness.",
    "Honestly my weakness is that I put in too many hours because I love my work.",
    "I am too committed to my work and always put the job first.",
    "I expect too much of myself and always want to exceed expectations.",
)


def _lower(text: str) -> str:
    return " " + text.lower().replace("’", "'") + " "


def _negated(lower: str, start: int) -> bool:
    """A negation in the three words before a cue, in its clause ("I'm not a perfectionist")."""
    clause = re.split(r"[,;:]| but | although | though ", lower[:start])[-1]
    return bool(_NEG.search(" ".join(clause.split()[-3:])))


def strength_cue(sentence: str) -> bool | None:
    """True when the sentence presents a strength as the weakness by one of the cue families; False when it names
    one only to deny or set it aside ("I'm not a perfectionist", "..., but my real weakness is"); None when no cue
    is there at all (then only its meaning can tell)."""
    lower = _lower(sentence)
    hits = list(_STRENGTH_CUES.finditer(lower))
    if _TURN_AWAY.search(lower):
        return False
    if not hits:
        return None
    return any(not _negated(lower, m.start()) for m in hits)


def tells_a_cost(sentence: str) -> bool:
    """The sentence tells a cost that happened (negation aware: "nothing ever slipped" is no cost)."""
    lower = _lower(sentence)
    return any(not _negated(lower, m.start()) for m in _COST.finditer(lower))


def disguised_strength(sentences: Sequence[str], vectors: np.ndarray | None = None) -> str | None:
    """The sentence that offers a strength as the weakness, or None (see the module docstring). `vectors` are the
    sentences' MiniLM vectors when the caller has them (the behavioral judge does); without them only cues count."""
    if not sentences or any(tells_a_cost(s) for s in sentences):
        return None
    cues = [strength_cue(s) for s in sentences]
    cued = next((s for s, cue in zip(sentences, cues, strict=True) if cue), None)
    if cued is not None:
        return cued
    if vectors is None or not len(vectors):
        return None
    from rag.embeddings import embed_cached

    # MiniLM does not read negation: "I'm not a perfectionist" sits next to "I am a perfectionist", so a sentence
    # whose cue is denied or set aside is not judged by meaning.
    usable = [i for i, cue in enumerate(cues) if cue is None]
    if not usable:
        return None
    sims = (vectors[usable] @ embed_cached(list(_PROTOTYPES)).T).max(axis=1)
    best = int(np.argmax(sims))
    return sentences[usable[best]] if sims[best] >= DISGUISED_SIM else None
