"""Prose from pieces: how a key point, a quoted sentence or a reason is put inside a sentence of our own.

Key points and quoted sentences arrive with their own full stop; joined with "; " or closed with "." they used to
read ".;" and "..". Every writer of such a sentence (the offline coach, the feedback page, the report) goes through
these, and `prose_tidy` repairs text stored before they existed. `pipeline/` because the coach (rag) and the pages
(sessions) both need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TRAILING = ".;:,!? \t\n"
_DOUBLE_STOP = re.compile(r"(?<![.…])\.\s*\.(?!\.)")     # ". ." or ".." but not an ellipsis "..."
_STOP_BEFORE = re.compile(r"\.\s*;")                      # ".;" -> ";" (".," stays: "e.g.,")
_STOP_IN_QUOTE = re.compile(r"\.([”\"])(?=\s*[.;])")       # “a B-tree.”; -> “a B-tree”;
_SPACES = re.compile(r"\s+")


def clause(text: str) -> str:
    """`text` as a clause inside a longer sentence: one line, without its closing punctuation."""
    return _SPACES.sub(" ", str(text or "")).strip().rstrip(_TRAILING)


def prose_list(items: Iterable[str], *, sep: str = "; ") -> str:
    """Clauses joined by `sep`, empty ones dropped (the caller closes the sentence)."""
    return sep.join(c for c in (clause(i) for i in items) if c)


def prose_tidy(text: str) -> str:
    """Stored prose with the stray ".;" and ".." of older writers repaired (an ellipsis is left alone)."""
    text = _STOP_IN_QUOTE.sub(r"\1", str(text or ""))
    text = _STOP_BEFORE.sub(";", text)
    return _DOUBLE_STOP.sub(".", text)


def quote_key(text: str) -> str:
    """What makes two quotes the same quote: their words, case and punctuation aside (one is shown, once)."""
    return " ".join(re.findall(r"[\w']+", str(text or "").lower()))
