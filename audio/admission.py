"""Admission and back-pressure of this process's live answers: how many are streaming, how many get live captions
(capped by `LIVE_CAPTION_STREAMS_MAX`), and how far their captions trail the audio.

Per process: each daphne process admits and reports its own streams (`/healthz` and the staff status page read
`snapshot()`). Everything here runs on the event loop; the lock only guards a snapshot taken from another thread.
"""

from __future__ import annotations

import statistics
import threading
from typing import Any

from django.conf import settings

CAPTIONS_PAUSED_MESSAGE = "Live captions paused: server busy; your transcript will be complete."

_lock = threading.Lock()
_live: set[int] = set()  # id() of every open AnswerStream
_captioned: set[int] = set()  # the streams holding a live-caption slot
_lag_s: dict[int, float] = {}  # stream -> how far its latest caption trails the audio received
_paused_total = 0  # answers refused a caption slot since the process started


def stream_opened(key: int) -> None:
    with _lock:
        _live.add(key)


def stream_closed(key: int) -> None:
    with _lock:
        _live.discard(key)
        _captioned.discard(key)
        _lag_s.pop(key, None)


def caption_slot_acquire(key: int) -> bool:
    """Whether this answer may have live captions now; False when the process is at its cap (0 = no cap)."""
    global _paused_total
    cap = settings.LIVE_CAPTION_STREAMS_MAX
    with _lock:
        if key in _captioned:
            return True
        if cap > 0 and len(_captioned) >= cap:
            _paused_total += 1
            return False
        _captioned.add(key)
        return True


def caption_slot_release(key: int) -> None:
    with _lock:
        _captioned.discard(key)
        _lag_s.pop(key, None)


def caption_lag_record(key: int, *, audio_s: float, caption_end_s: float) -> None:
    """A caption arrived covering audio up to `caption_end_s` while `audio_s` of the answer had been received."""
    with _lock:
        if key in _captioned:
            _lag_s[key] = max(0.0, audio_s - caption_end_s)


def _decoder_load() -> dict[str, Any] | None:
    """The batched caption decoder's queue and load, once it has started (None before the first caption)."""
    from audio.transcription.caption_batch import CaptionBatcher, caption_decoder

    decoder = caption_decoder.get() if caption_decoder.loaded else None
    if not isinstance(decoder, CaptionBatcher):
        return None
    stats = decoder.stats()
    return {"threads": decoder.workers, "batch_max": decoder.max_batch, "waiting": stats.waiting,
            "batches": stats.batches, "mean_batch": stats.mean_batch, "busy_fraction": stats.busy_fraction}


def snapshot() -> dict[str, Any]:
    import os

    with _lock:
        lags = list(_lag_s.values())
        live, captioned, paused = len(_live), len(_captioned), _paused_total
    return {
        "pid": os.getpid(),
        "live_streams": live,
        "captioned_streams": captioned,
        "caption_streams_max": settings.LIVE_CAPTION_STREAMS_MAX,
        "captions_paused_total": paused,
        "caption_lag_s": {"median": round(statistics.median(lags), 2) if lags else None,
                          "max": round(max(lags), 2) if lags else None, "streams": len(lags)},
        "caption_decoder": _decoder_load(),
    }
