"""The transcription part of `analyze_audio FILE --transcribe --json`: words, pace and fillers of a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audio.transcription.speech_metrics import word_metrics
from audio.transcription.whisper_local import transcribe_file


def file_transcript_report(path: Path | str, *, duration_s: float | None = None,
                           speaking_time_s: float | None = None, pauses: list[Any] | None = None) -> dict[str, Any]:
    """`transcript`, `words` (text, start, end, probability), `wpm`, `articulation_wpm`, `filler_count`,
    `fillers` (word and time), `hedges`, `pauses` (aligned to words) and `engine` for an audio file.

    Pass the signal analyzer's duration, speaking time and pauses when known; without a speaking time,
    `articulation_wpm` is None (the transcript alone cannot tell speech from silence).
    """
    transcript = transcribe_file(path)
    metrics = word_metrics(transcript, duration_s=duration_s or transcript.duration_s,
                           speaking_time_s=speaking_time_s or 0.0, pauses=pauses or [])
    return {
        "transcript": transcript.text,
        "words": [w.to_dict() for w in transcript.words],
        "wpm": metrics["wpm"],
        "articulation_wpm": metrics["articulation_wpm"],
        "filler_count": metrics["filler_count"],
        "fillers": metrics["fillers"],
        "hedges": metrics["hedges"],
        "pauses": metrics["pauses"],
        "engine": transcript.engine,
    }
