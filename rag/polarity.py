"""Lexical checks between an answer sentence and the key point it is aligned with: what embeddings do not see.

MiniLM puts "a B-tree lookup is logarithmic" and "a B-tree lookup is linear" next to each other (same words, same
topic), and a negated fact next to the fact. These pure functions compare the two texts word by word:

    negation mismatch  one side negates (not, never, no, cannot, without, ...) and the other does not
    antonym swap       a word of the point is replaced by its opposite (linear/logarithmic, before/after, ...)
    number mismatch    both state numbers and they differ (three-way vs two-way handshake, /24 vs 256)
    overlap            the share of the point's content words the sentence repeats: a mismatch only means
                       "contradicts" when the sentence is about the same thing (high overlap)

`negated(point)` writes an automatic negation of a key point, used as a contrast for the classifier features and
in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD_RE = re.compile(r"[a-z0-9][a-z0-9'+#./-]*")
_NEGATIONS_TEXT = """
not no never none nothing neither nor cannot can't don't doesn't isn't aren't wasn't weren't won't wouldn't
shouldn't couldn't didn't hasn't haven't hadn't mustn't without nobody nowhere
"""
NEGATIONS = frozenset(_NEGATIONS_TEXT.split())

# Opposites that keep a sentence's vocabulary but flip its meaning. Each pair is symmetric; the forms listed are
# matched as whole words after a light normalisation (lowercase, trailing "s"/"es"/"ed"/"ing" kept as written).
_ANTONYMS_TEXT = """
faster slower | fast slow | quicker slower | increase decrease | increases decreases | increased decreased |
increasing decreasing | before after | more less | more fewer | higher lower | high low | larger smaller |
large small | bigger smaller | big small | longer shorter | many few | linear logarithmic | linear constant |
linear quadratic | constant logarithmic | client server | clients servers | client-side server-side |
encrypt decrypt | encrypts decrypts | encrypted plaintext | encrypted unencrypted | encryption decryption |
stateless stateful | synchronous asynchronous | sync async | mutable immutable | always never | true false |
sorted unsorted | first last | inner outer | read write | reads writes | reader writer | push pull |
vertical horizontal | vertically horizontally | strong weak | stronger weaker | shallow deep | private public |
symmetric asymmetric | static dynamic | statically dynamically | compile-time runtime | minimum maximum | min max |
lifo fifo | ascending descending | overfitting underfitting | optimistic pessimistic | eager lazy | eagerly lazily |
add remove | adds removes | allow deny | accept reject | accepts rejects |
include exclude | includes excludes | cheap expensive | cheaper costlier | safe unsafe | valid invalid |
success failure | succeeds fails | hides reveals | hides exposes | visible hidden | same different |
single multiple | one many | reliable unreliable | ordered unordered | connection-oriented connectionless |
blocking non-blocking | preemptive cooperative | global local | upstream downstream | ingress egress |
inbound outbound | internal external | explicit implicit | strict loose | tight loose | coupled decoupled |
shared isolated | consistent inconsistent | available unavailable | durable volatile | persistent ephemeral |
permanent temporary | start end | begins ends | open closed | on off | up down | enable disable |
enables disables | enabled disabled | lowers raises | reduce increase | reduces increases | shrink grow |
shrinks grows | overestimates underestimates | precision recall | bias variance | train test | training inference |
parent child | caller callee | inside outside | above below | top bottom | head tail | sender receiver |
supervised unsupervised | deterministic random | deterministic nondeterministic | idempotent non-idempotent |
commit rollback | lock unlock | acquire release | hit miss | hits misses | require optional | required optional |
must optional | guaranteed best-effort | correct incorrect | equal unequal | equal different |
positive negative | ipv4 ipv6 | tcp udp | get post | put patch | sql nosql | process thread | processes threads |
stack heap | stack queue | union intersection | all none | everything nothing | o(1) o(n) |
o(n) o(log | o(n) o(n^2) | o(log o(1)
"""
_ANTONYMS: dict[str, frozenset[str]] = {}
for _pair in _ANTONYMS_TEXT.replace("\n", " ").split("|"):
    _words = _pair.split()
    if len(_words) == 2:
        a, b = _words
        _ANTONYMS[a] = _ANTONYMS.get(a, frozenset()) | {b}
        _ANTONYMS[b] = _ANTONYMS.get(b, frozenset()) | {a}

_NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100,
                 "thousand": 1000, "million": 1_000_000, "half": 0.5, "double": 2, "twice": 2, "single": 1}
_NUMBER_RE = re.compile(r"^/?\d+(\.\d+)?%?$")
# Words too common to say two sentences are about the same thing.
_STOP_TEXT = """
a an the and or but so because if then than that this these those it its is are was were be been being to of in
on at by for with from as into over under about through when while which who whom whose what where why how we i
you he she they them our my your their there here can could would should will do does did has have had also just
only very such each every both either any one its it's s using use uses used way ways thing things make makes
"""
_STOP = frozenset(_STOP_TEXT.split()) | NEGATIONS


def words(text: str) -> list[str]:
    # "doesn't" stays one (negation) token; a possessive "'s" is dropped so "TCP's" matches "TCP".
    return _WORD_RE.findall(re.sub(r"'s\b", "", text.lower().replace("\u2019", "'")))


def content_words(tokens: list[str]) -> set[str]:
    return {_stem(t.strip(".,/")) for t in tokens if t not in _STOP and len(t) > 1 and not _number(t)}


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _number(token: str) -> float | None:
    token = token.strip(".,")
    if _NUMBER_RE.match(token):
        return float(token.strip("/%"))
    if "-" in token:  # "three-way", "two-phase"
        token = token.split("-", 1)[0]
    return _NUMBER_WORDS.get(token)


def negation_count(tokens: list[str]) -> int:
    return sum(t in NEGATIONS for t in tokens)


NEGATION_SCOPE = 4  # words after a negation that it applies to


def _negated_shared(tokens: list[str], other_content: set[str]) -> bool:
    """Whether a negation in `tokens` applies to a content word the other text also has: "IP does not guarantee
    delivery" against "IP guarantees delivery", but not "... without any guarantee" against a sentence that never
    mentions guarantees."""
    for i, token in enumerate(tokens):
        if token in NEGATIONS and content_words(tokens[i + 1:i + 1 + NEGATION_SCOPE]) & other_content:
            return True
    return False


@dataclass(frozen=True)
class Lexical:
    overlap: float          # share of the point's content words the sentence repeats (0..1)
    negation_mismatch: bool
    antonym_swaps: tuple[tuple[str, str], ...]  # (point word, sentence word)
    number_mismatch: bool

    @property
    def conflict(self) -> bool:
        return self.negation_mismatch or bool(self.antonym_swaps) or self.number_mismatch


def compare(sentence: str, point: str) -> Lexical:
    """How `sentence` relates to `point` word by word (see the module docstring)."""
    s_tokens, p_tokens = words(sentence), words(point)
    s_content, p_content = content_words(s_tokens), content_words(p_tokens)
    overlap = len(s_content & p_content) / len(p_content) if p_content else 0.0
    negation_mismatch = (_negated_shared(s_tokens, p_content) and not negation_count(p_tokens)) or \
        (_negated_shared(p_tokens, s_content) and not negation_count(s_tokens))
    s_set, p_set = set(s_tokens), set(p_tokens)
    swaps = tuple(sorted({(p, s) for p in p_set - s_set for s in _ANTONYMS.get(p, ()) if s in s_set - p_set}))
    s_numbers = {n for t in s_tokens if (n := _number(t)) is not None}
    p_numbers = {n for t in p_tokens if (n := _number(t)) is not None}
    number_mismatch = bool(s_numbers and p_numbers and not (s_numbers & p_numbers))
    return Lexical(overlap=round(overlap, 3), negation_mismatch=negation_mismatch, antonym_swaps=swaps,
                   number_mismatch=number_mismatch)


_AUX_RE = re.compile(r"\b(is|are|was|were|can|could|does|do|did|will|would|should|must|has|have|had|may|might)\b",
                     re.I)
_VERB_RE = re.compile(r"\b([a-z]+s)\b")


def negated(point: str) -> str:
    """An automatic contradiction of `point`: its first antonym swapped, else "not" removed or inserted."""
    lowered = point.lower()
    if re.search(r"\b(not|never|without)\b", lowered):
        point = re.sub(r"\bwithout\b", "with", point, count=1, flags=re.I)
        return re.sub(r"\s*\b(not|never)\b", "", point, count=1, flags=re.I)
    tokens = point.split()
    for i, token in enumerate(tokens):
        bare = token.lower().strip(".,;:")
        if bare in _ANTONYMS and bare not in {"and", "or", "one", "on", "up", "all", "some", "first"}:
            opposite = sorted(_ANTONYMS[bare])[0]
            tokens[i] = token.lower().replace(bare, opposite) if token.islower() else opposite
            return " ".join(tokens)
    match = _AUX_RE.search(point)
    if match:
        return point[:match.end()] + " not" + point[match.end():]
    match = _VERB_RE.search(point[1:])
    if match:
        start = match.start() + 1
        verb = match.group(1)
        return point[:start] + "does not " + verb[:-1] + point[start + len(verb):]
    return "It is not true that " + point[0].lower() + point[1:]
