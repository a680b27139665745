"""Optional: Gemini rewrites the offline study plan's wording (never its structure, targets or due dates).

The offline plan is complete on its own; this only runs when Gemini is configured. Any failure, a reply that does
not cover exactly the plan's items, or a phrasing that drops an item's target number falls back to the offline
words for that plan or item. Called outside any database transaction (it is a network call).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

SYSTEM = (
    "You are an interview coach writing a candidate's study plan. Rewrite the title and detail of each item and "
    "the summary so they are warm, specific and short. Keep every number exactly as given (targets, percentages, "
    "counts), keep each item's meaning, do not add or remove items, and answer in the JSON schema given."
)


class PhrasedItem(BaseModel):
    position: int
    title: str = Field(min_length=3, max_length=200)
    detail: str = Field(max_length=1200)


class PlanPhrasing(BaseModel):
    summary: str = Field(min_length=3, max_length=1000)
    items: list[PhrasedItem]


@dataclass(frozen=True)
class Phrased:
    summary: str
    items: dict[int, tuple[str, str]]  # position -> (title, detail)


def _keeps_numbers(item: dict[str, Any], title: str, detail: str) -> bool:
    target = item.get("target") or {}
    wanted = [target[k] for k in ("to", "from") if isinstance(target.get(k), int | float)]
    if item.get("question_count"):
        wanted.append(item["question_count"])
    text = f"{title} {detail}"
    return all(f"{value:g}" in text for value in wanted)


def plan_phrase(*, summary: str, items: list[dict[str, Any]]) -> Phrased | None:
    """Gemini's wording for the plan, or None (not configured, failed, or unusable)."""
    from interviewprep.gemini import GeminiError, gemini_configured, gemini_generate

    if not items or not gemini_configured():
        return None
    prompt = json.dumps({"summary": summary, "items": items}, default=str, ensure_ascii=False)
    try:
        reply = gemini_generate(schema=PlanPhrasing, system=SYSTEM, prompt=prompt)
    except GeminiError as exc:
        log.info("study plan phrasing fell back to offline: %s", exc)
        return None
    by_position = {p.position: p for p in reply.items}
    if set(by_position) != {item["position"] for item in items}:
        log.info("study plan phrasing ignored: it does not cover exactly the plan's items")
        return None
    kept = {}
    for item in items:
        phrased = by_position[item["position"]]
        if _keeps_numbers(item, phrased.title, phrased.detail):
            kept[item["position"]] = (phrased.title.strip(), phrased.detail.strip())
    return Phrased(summary=reply.summary.strip(), items=kept)
