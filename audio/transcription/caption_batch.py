"""One batched caption decoder per process: the unfinished tails of every live stream, decoded together.

A stream hands in its tail when a second of new audio is in and its previous decode has returned, so each stream
has at most one tail waiting and the queue is bounded by the number of captioned streams. A decoder thread takes
everything waiting (oldest first, up to `LIVE_CAPTION_BATCH_MAX`) and decodes it in one call
(`caption_batch_decode`). Under load the batches grow and each stream's captions come less often; nothing is
refused, and nothing runs on the event loop but an append.

`LIVE_CAPTION_LEGACY=1` keeps the per-stream decoder this replaced (a bounded pool, one full `transcribe()` per
tail, rounds skipped when busy): the same-run baseline of bench/captions_bench.py, never for production.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from audio.transcription.base import Word
from audio.transcription.whisper_local import CaptionTail, caption_batch_decode, pcm16_to_float
from interviewprep.singletons import LazySingleton
from pipeline.tasking import thread_priority_lower

log = logging.getLogger(__name__)

Decode = Callable[..., list[list[Word]]]


@dataclass(frozen=True, slots=True)
class BatcherStats:
    waiting: int
    batches: int
    tails: int
    mean_batch: float | None
    busy_fraction: float | None  # share of wall time the decoder threads spent decoding since the first tail


class CaptionBatcher:
    def __init__(self, *, workers: int, max_batch: int, decode: Decode = caption_batch_decode) -> None:
        self.workers = max(1, workers)
        self.max_batch = max(1, max_batch)
        self._decode = decode
        self._waiting: deque[tuple[bytes, float, str, Future[list[Word]]]] = deque()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._batches = 0
        self._tails = 0
        self._busy_s = 0.0
        self._since: float | None = None
        self._closed = False

    def submit(self, *, audio: bytes, offset_s: float, prompt: str) -> Future[list[Word]]:
        """Queue one tail (raw PCM16, converted on the decoder thread); never blocks."""
        future: Future[list[Word]] = Future()
        with self._cond:
            if self._closed:
                future.set_exception(RuntimeError("the caption decoder stopped"))
                return future
            if not self._threads:
                self._start()
            if self._since is None:
                self._since = time.monotonic()
            self._waiting.append((audio, offset_s, prompt, future))
            self._cond.notify()
        return future

    def _start(self) -> None:
        # Stop the threads before the interpreter finalises: a daemon thread killed inside CTranslate2 aborts the
        # process ("terminate called without an active exception").
        atexit.register(self.close)
        for index in range(self.workers):
            thread = threading.Thread(target=self._run, name=f"captions-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self, timeout: float = 10.0) -> None:
        """Finish the batch in progress, fail what waits, stop the threads."""
        with self._cond:
            self._closed = True
            waiting, self._waiting = list(self._waiting), deque()
            self._cond.notify_all()
        for *_, future in waiting:
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError("the caption decoder stopped"))
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _take(self) -> list[tuple[bytes, float, str, Future[list[Word]]]] | None:
        with self._cond:
            while not self._waiting and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            batch = []
            while self._waiting and len(batch) < self.max_batch:
                item = self._waiting.popleft()
                if item[3].set_running_or_notify_cancel():
                    batch.append(item)
            return batch

    def _run(self) -> None:
        # Below the event loop, which serves every stream's live metrics; above background scoring.
        thread_priority_lower(nice=settings.LIVE_CAPTION_NICE)
        while True:
            batch = self._take()
            if batch is None:
                return
            if not batch:
                continue
            started = time.monotonic()
            try:
                tails = [CaptionTail(samples=pcm16_to_float(audio[: len(audio) - len(audio) % 2]), offset_s=offset,
                                     prompt=prompt) for audio, offset, prompt, _ in batch]
                results = self._decode(tails=tails)
            except Exception as exc:  # noqa: BLE001 - each waiting stream gets the error and stops its captions
                log.exception("batched caption decode failed")
                for *_, future in batch:
                    future.set_exception(exc)
            else:
                for (*_, future), words in zip(batch, results, strict=True):
                    future.set_result(words)
            with self._cond:
                self._batches += 1
                self._tails += len(batch)
                self._busy_s += time.monotonic() - started

    def stats(self) -> BatcherStats:
        with self._cond:
            elapsed = time.monotonic() - self._since if self._since is not None else 0.0
            return BatcherStats(
                waiting=len(self._waiting), batches=self._batches, tails=self._tails,
                mean_batch=round(self._tails / self._batches, 2) if self._batches else None,
                busy_fraction=round(min(1.0, self._busy_s / (elapsed * self.workers)), 3) if elapsed > 0 else None)


class LegacyCaptionPool:
    """The per-stream decoder before batching: refuses work when every thread is busy, instead of queueing it."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="captions")
        self._slots = threading.BoundedSemaphore(self.workers)

    def submit(self, *, audio: bytes, offset_s: float, prompt: str) -> Future[list[Word]] | None:
        if not self._slots.acquire(blocking=False):
            return None

        def run() -> list[Word]:
            from audio.transcription.whisper_local import transcribe_array

            try:
                return transcribe_array(pcm16_to_float(audio[: len(audio) - len(audio) % 2]), beam_size=1,
                                        prompt=prompt, offset_s=offset_s).words
            finally:
                self._slots.release()

        return self._executor.submit(run)


def _make_decoder() -> Any:
    if settings.LIVE_CAPTION_BACKEND == "redis":
        from audio.transcription.caption_pool import RemoteCaptionClient

        return RemoteCaptionClient(redis_url=settings.REDIS_URL, prefix=settings.LIVE_CAPTION_QUEUE_PREFIX,
                                   timeout_s=settings.LIVE_CAPTION_REMOTE_TIMEOUT_S)
    if settings.LIVE_CAPTION_LEGACY:
        return LegacyCaptionPool(settings.LIVE_CAPTION_WORKERS)
    return CaptionBatcher(workers=settings.LIVE_CAPTION_WORKERS, max_batch=settings.LIVE_CAPTION_BATCH_MAX)


caption_decoder = LazySingleton(_make_decoder, name="caption-decoder")
