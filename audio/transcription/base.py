"""The transcript shape every engine produces: text plus words with times in seconds from the answer's start."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float
    end: float
    probability: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": round(self.start, 3), "end": round(self.end, 3),
                "probability": None if self.probability is None else round(self.probability, 4)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Word:
        probability = data.get("probability", data.get("confidence"))
        return cls(text=str(data.get("text", "")), start=float(data.get("start") or 0.0),
                   end=float(data.get("end") or 0.0),
                   probability=None if probability is None else float(probability))


@dataclass(slots=True)
class Transcript:
    text: str
    words: list[Word] = field(default_factory=list)
    engine: str = ""
    confidence: float | None = None
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "words": [w.to_dict() for w in self.words], "engine": self.engine,
                "confidence": None if self.confidence is None else round(self.confidence, 4),
                "duration_s": round(self.duration_s, 3)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        words = [w if isinstance(w, Word) else Word.from_dict(w) for w in data.get("words") or []]
        confidence = data.get("confidence")
        return cls(text=str(data.get("text") or ""), words=words, engine=str(data.get("engine") or ""),
                   confidence=None if confidence is None else float(confidence),
                   duration_s=float(data.get("duration_s") or 0.0))


def mean_confidence(words: list[Word]) -> float | None:
    scores = [w.probability for w in words if w.probability is not None]
    return sum(scores) / len(scores) if scores else None
