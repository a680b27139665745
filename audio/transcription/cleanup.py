"""Turning whisper's raw decodes into the final word list: hesitations merged in by time, no word over silence,
word edges on the voice activity detector's speech segments.

Why two decodes: a prompt written with "um, uh" makes whisper keep hesitations, but on voices it has not seen it
also makes it invent words (a closing "thank you", "men" for "mend"). So the words come from a plain decode and
the prompted decode contributes only its hesitations, placed where the plain decode has no word. Pure functions
over `Word`s, so every rule is tested without a model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from audio.transcription.base import Word

# Spellings whisper and AssemblyAI use for hesitations (the filler detector maps them to um / uh / er / ah).
HESITATIONS = frozenset({"um", "umm", "ummm", "uhm", "hmm", "mm", "uh", "uhh", "er", "erm", "err", "ah", "ahh"})
# A hesitation placed by word alignment must also lie within this much of the gap it goes into.
TIME_SLACK_S = 0.5
# A word counts as spoken only if at least this much of it lies in speech (whisper's edges are off by ~0.1 s).
MIN_SPEECH_OVERLAP_S = 0.05
# Speech segments are widened by this much before a word is judged: the VAD cuts soft onsets and word ends.
SEGMENT_SLACK_S = 0.08
# A word wholly in silence this close to speech is kept on that speech's edge; further away it is dropped.
NEAR_SPEECH_S = 0.3


def norm_word(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())


def is_hesitation(text: str) -> bool:
    return norm_word(text) in HESITATIONS


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def merge_hesitations(words: Sequence[Word], prompted: Sequence[Word]) -> list[Word]:
    """The plain decode's words plus the prompted decode's hesitations that the plain decode lacks.

    The two decodes are aligned by their words (whisper's word times drift by a syllable or more, and it stretches
    the word before a hesitation over it, so times alone would place or reject it wrongly); a hesitation the plain
    decode has no counterpart for goes between the plain words its neighbours matched, if its time lies near that
    gap, with its times kept inside it.
    """
    plain = list(words)
    if not any(is_hesitation(h.text) for h in prompted):
        return plain
    matcher = SequenceMatcher(a=[norm_word(w.text) for w in plain], b=[norm_word(w.text) for w in prompted],
                              autojunk=False)
    to_plain: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            to_plain[block.b + k] = block.a + k
    # Only hesitations the prompted decode adds between two words the decodes agree on. Where the two decodes
    # heard different words, a prompted "uh" is mostly a word's unstressed vowel written as a hesitation (the
    # article in "but a right join" as "but, er, right join"; "alerts" as "uh, some"), not a hesitation.
    inserted = {j for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag == "insert"
                and all(is_hesitation(prompted[k].text) for k in range(j1, j2)) for j in range(j1, j2)}
    inserts: list[tuple[int, Word]] = []
    last = -1  # plain index of the last prompted word matched so far
    for j, h in enumerate(prompted):
        if j in to_plain:
            last = to_plain[j]
            continue
        if not is_hesitation(h.text) or j not in inserted:
            continue
        before = plain[last] if last >= 0 else None
        after = plain[last + 1] if last + 1 < len(plain) else None
        if any(w is not None and is_hesitation(w.text) for w in (before, after)):
            continue  # the plain decode heard a hesitation here too (maybe spelt differently)
        low = before.start if before else 0.0
        high = after.end if after else max(h.end, low)
        if h.end < low - TIME_SLACK_S or h.start > high + TIME_SLACK_S:
            continue  # matched by position, but said elsewhere: not trusted
        start = min(max(h.start, low), after.start if after else high)
        inserts.append((last + 1, Word(text=h.text, start=start, end=min(max(h.end, start), high),
                                       probability=h.probability)))
    merged = list(plain)
    for position, word in reversed(inserts):
        merged.insert(position, word)
    return merged


def fit_to_speech(words: Sequence[Word], segments: Sequence[tuple[float, float]]) -> list[Word]:
    """Drop words over silence and move word edges that stray into silence onto the nearest speech edge.

    Whisper stretches a word over the pause that follows it and starts the next one early, so a pause between two
    sentences would otherwise be reported inside a word: each word starts inside the speech segment it belongs to
    (the one holding most of it) and ends at most SEGMENT_SLACK_S after it. A word wholly in silence but within
    NEAR_SPEECH_S of speech is a soft word the VAD cut (a quiet last "them" in noise) and joins that segment; one
    further away is dropped. With no speech segment at all, nothing was said.
    """
    if not segments:
        return []
    fitted: list[Word] = []
    for w in words:
        # Whisper gives short words (and hesitations) zero or near-zero length: judge at least 0.1 s around them.
        mid, half = (w.start + w.end) / 2, max((w.end - w.start) / 2, 0.05)
        lo, hi = mid - half, mid + half
        scored = [(_overlap(lo, hi, s - SEGMENT_SLACK_S, e + SEGMENT_SLACK_S), -max(s - hi, lo - e, 0.0), s, e)
                  for s, e in segments]
        overlap, closeness, s, e = max(scored)
        if overlap < min(MIN_SPEECH_OVERLAP_S, half) and -closeness > NEAR_SPEECH_S:
            continue
        start = min(max(w.start, s), max(s, e - 0.01))
        end = min(max(w.end, start), e + SEGMENT_SLACK_S)
        if fitted and start < fitted[-1].start:
            start = fitted[-1].start  # keep starts monotone where two words were moved onto one edge
        fitted.append(Word(text=w.text, start=round(start, 3), end=round(max(end, start), 3),
                           probability=w.probability))
    return fitted
