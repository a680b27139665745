"""Synthetic speech with known words (espeak-ng, resampled to 16 kHz mono PCM16 by sox) for transcriber tests."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

# Sentences an interview answer might contain, with the hesitations written where espeak says them.
FILLER_SENTENCES = [
    "Um, I think the main problem was, uh, the database was too slow.",
    "So, uh, we moved the cache closer to the service, um, and latency dropped.",
    "I, um, wrote the tests first, and uh, then I refactored the code.",
    "Uh, the hardest part was, um, getting the team to agree on the design.",
    "Well, um, I would use a queue here, uh, because the work is bursty.",
]


def synthesize(text: str, path: Path, tool: Callable[[str], str], *, words_per_minute: int = 150,
               voice: str = "en-us") -> Path:
    """Speak `text` into a 16 kHz mono 16-bit WAV at `path` (espeak-ng writes 22.05 kHz; sox resamples)."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run([tool("espeak-ng"), "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text],
                   check=True, capture_output=True, timeout=60)
    subprocess.run([tool("sox"), str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)],
                   check=True, capture_output=True, timeout=60)
    raw.unlink()
    return path
