"""Live captions from local whisper: re-decode the unfinished tail about once a second, commit the stable prefix.

Decoding runs on the process's batched caption decoder (caption_batch.py): a stream hands in its tail when a
second of new audio is in and its previous decode has returned, and the tails of all streams are decoded
together, so on a busy machine batches grow and captions come less often instead of queueing behind each other or
slowing the signal path. `feed()` only appends bytes (and, once a second, checks the new audio for voice).

Committing follows the "local agreement" idea of Macháček et al. (whisper_streaming, 2023): a word is final once
two consecutive decodes of the tail agree on it and it ended at least `STABLE_MARGIN_S` before the tail's end;
words older than `MAX_TAIL_S` are committed regardless, which bounds the cost of each decode.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

import numpy as np
from django.conf import settings

from audio.transcription.base import Word
from audio.transcription.caption_batch import caption_decoder
from audio.transcription.caption_pool import CaptionsUnavailable
from audio.transcription.whisper_local import CAPTION_PROMPT

log = logging.getLogger(__name__)

BYTES_PER_SECOND = 32000
# Chosen on the tune split of the speech set (bench/README.md): margin 1.5 s and overlap 0.25 s gave live-caption
# WER 0.030 against 0.085 with 1.0 s and 0.5 s (a word near the tail's end is often still changing; a longer
# overlap re-hears short words whose times then fall before the commit point and are dropped).
STABLE_MARGIN_S = 1.5
MAX_TAIL_S = 12.0
# A tail without a 100 ms block above this RMS (-40 dBFS) is not decoded: whisper invents words in silence.
VOICED_RMS = 0.01
# After this much silence the pending words are final: the speaker has stopped.
SILENCE_COMMIT_S = 1.2
# All of finish() (the decode in flight, then the last one): under the consumer's default bound of 7 s on it.
FINISH_BUDGET_S = 6.0
# Committed words given to the next decode as prompt, so a tail cut mid-sentence continues it.
CONTEXT_WORDS = 12
OVERLAP_S = 0.25

Emit = Callable[[dict[str, Any]], Awaitable[None]]


def _norm(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())


def _voiced(data: bytes) -> bool:
    samples = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2").astype(np.float32) / 32768.0
    block = 1600
    usable = samples[: len(samples) - len(samples) % block]
    if usable.size == 0:
        return False
    rms = np.sqrt(np.mean(usable.reshape(-1, block) ** 2, axis=1))
    return bool(rms.max() >= VOICED_RMS)


class LocalStream:
    def __init__(self, *, emit: Emit, time_offset_s: float = 0.0, engine: str = "whisper-tiny.en") -> None:
        self._emit = emit
        self.engine = engine
        self._buffer = bytearray()
        self._base_s = time_offset_s  # answer time of the buffer's first sample
        self._decoded_upto = 0  # buffer length at the last decode
        self._in_flight: Future[Any] | None = None
        self._hypothesis: list[Word] = []  # the last decode's uncommitted words
        self._committed_end_s = time_offset_s
        self._context: list[Word] = []  # committed words: the prompt carries the last few across the cut
        self._closed = False
        self._broken = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.interval_bytes = int(settings.LIVE_CAPTION_INTERVAL_S * BYTES_PER_SECOND)
        self.decodes = 0
        self.skipped = 0
        self.unavailable = 0  # rounds the remote caption workers did not serve

    @property
    def end_s(self) -> float:
        return self._base_s + len(self._buffer) / BYTES_PER_SECOND

    def feed(self, data: bytes) -> None:
        """Append a frame; start a decode of the tail when a second of new audio is in and a slot is free."""
        if self._closed or self._broken:
            return
        self._buffer.extend(data)
        if len(self._buffer) - self._decoded_upto >= self.interval_bytes and self._in_flight is None:
            self._try_decode()

    def _try_decode(self) -> bool:
        audio = bytes(self._buffer)
        flush = False
        if not _voiced(audio[self._decoded_upto :]):
            silent_s = (len(audio) - self._trailing_voice_bytes()) / BYTES_PER_SECOND
            if silent_s < SILENCE_COMMIT_S:
                return False
            if not _voiced(audio):
                # Nothing but silence since the last commit: drop it, keeping a short lead-in for the next word.
                self._trim(len(self._buffer) - int(0.3 * BYTES_PER_SECOND))
                return False
            # The speaker paused: decode the whole phrase once more and commit all of it.
            flush = True
        prompt = " ".join([CAPTION_PROMPT, *(w.text for w in self._context[-CONTEXT_WORDS:])])
        future = caption_decoder.get().submit(audio=audio, offset_s=self._base_s, prompt=prompt)
        if future is None:  # the legacy per-stream pool was busy: skip this round
            self.skipped += 1
            return False
        self._decoded_upto = len(self._buffer)
        self._in_flight = future
        loop = asyncio.get_running_loop()
        end_s = self._base_s + len(audio) / BYTES_PER_SECOND

        def done(f: Future[Any]) -> None:  # on the pool's thread
            try:
                loop.call_soon_threadsafe(lambda: self._spawn(self._on_decoded(f, end_s, flush=flush)))
            except RuntimeError:
                pass  # the loop is closed: the answer is long over

        future.add_done_callback(done)
        return True

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _trailing_voice_bytes(self) -> int:
        """Length of the buffer up to its last voiced 100 ms block."""
        samples = np.frombuffer(bytes(self._buffer[: len(self._buffer) - len(self._buffer) % 3200]), dtype="<i2")
        blocks = samples.astype(np.float32).reshape(-1, 1600) / 32768.0 if samples.size else np.zeros((0, 1600))
        voiced = np.flatnonzero(np.sqrt(np.mean(blocks**2, axis=1)) >= VOICED_RMS) if len(blocks) else []
        return int((voiced[-1] + 1) * 3200) if len(voiced) else 0

    def _trim(self, nbytes: int) -> None:
        nbytes -= nbytes % 2
        nbytes = max(0, min(nbytes, len(self._buffer)))
        del self._buffer[:nbytes]
        self._base_s += nbytes / BYTES_PER_SECOND
        self._decoded_upto = max(0, self._decoded_upto - nbytes)

    async def _on_decoded(self, future: Future[Any], end_s: float, *, flush: bool = False) -> None:
        self._in_flight = None
        if self._closed:
            return
        try:
            words: list[Word] = future.result()
        except CaptionsUnavailable as exc:
            # The caption workers are busy or gone: skip this round, say so once; the next tail may be served.
            self.unavailable += 1
            if self.unavailable == 1:
                log.info("live captions unavailable for now: %s", exc)
                from audio.admission import CAPTIONS_PAUSED_MESSAGE

                await self._emit({"type": "captions.paused", "reason": "caption_workers_unavailable",
                                  "message": CAPTIONS_PAUSED_MESSAGE})
            return
        except Exception:  # noqa: BLE001 - a broken model stops captions, never the answer
            log.exception("local caption decode failed; live captions off for this answer")
            self._broken = True
            return
        self.decodes += 1
        words = self._uncommitted(words)
        agreed = 0
        for old, new in zip(self._hypothesis, words, strict=False):
            if _norm(old.text) != _norm(new.text):
                break
            agreed += 1
        commit = len(words) if flush else 0
        for k, word in enumerate(words[commit:]):
            stable = k < agreed and word.end <= end_s - STABLE_MARGIN_S
            if stable or word.end <= end_s - MAX_TAIL_S:
                commit = k + 1
            else:
                break
        final, pending = words[:commit], words[commit:]
        if flush:
            # Everything up to the pause is done; keep a short lead-in before whatever came after it.
            self._committed_end_s = max(final[-1].end if final else self._committed_end_s, end_s - 0.3)
            self._trim(int((self._committed_end_s - self._base_s) * BYTES_PER_SECOND))
        elif final:
            # Whisper's word ends are often late by a syllable: keep some audio before the cut so the next word
            # is heard whole; words the overlap repeats are dropped by `_uncommitted`.
            self._committed_end_s = final[-1].end
            self._trim(int((self._committed_end_s - OVERLAP_S - self._base_s) * BYTES_PER_SECOND))
        if final:
            self._context.extend(final)
            await self._emit_words("transcript.final", final)
        elif end_s - self._base_s > MAX_TAIL_S * 1.5:
            # Voiced but wordless (noise, music): drop what no pending word needs so decodes stay bounded.
            cut = min(end_s - MAX_TAIL_S, pending[0].start if pending else end_s)
            self._trim(int((cut - self._base_s) * BYTES_PER_SECOND))
        self._hypothesis = pending
        if pending:
            await self._emit_words("transcript.partial", pending)

    def _uncommitted(self, words: list[Word]) -> list[Word]:
        """The decoded words after what is already committed: the overlap may repeat the last committed words."""
        # Times alone cannot tell (whisper's word edges are off by a syllable), so first drop a repeat of the
        # committed tail by text, as whisper_streaming does, then anything that ended before the commit point.
        tail = [_norm(w.text) for w in self._context[-5:]]
        for k in range(min(len(tail), len(words)), 0, -1):
            if [_norm(w.text) for w in words[:k]] == tail[-k:] and words[k - 1].start < self._committed_end_s:
                words = words[k:]
                break
        floor = self._committed_end_s
        # A word heard again in the overlap can start before the commit point: clamp, so times stay monotone.
        return [w if w.start >= floor else Word(text=w.text, start=floor, end=w.end, probability=w.probability)
                for w in words if w.end > floor + 0.05]

    async def _emit_words(self, kind: str, words: list[Word]) -> None:
        await self._emit({"type": kind, "text": " ".join(w.text for w in words), "engine": self.engine,
                          "words": [{"text": w.text, "start": round(w.start, 3), "end": round(w.end, 3)}
                                    for w in words]})

    async def finish(self) -> None:
        """Caption the rest: one last decode of the whole tail when a slot frees up in time, else the last partial."""
        if self._closed:
            return
        self._closed = True  # a decode still in flight is superseded by the last one below
        words = self._hypothesis
        self._hypothesis = []
        deadline = time.monotonic() + FINISH_BUDGET_S
        if self._in_flight is not None:
            await asyncio.wait({asyncio.wrap_future(self._in_flight)}, timeout=FINISH_BUDGET_S)
        if not self._broken and _voiced(bytes(self._buffer)):
            prompt = " ".join([CAPTION_PROMPT, *(w.text for w in self._context[-CONTEXT_WORDS:])])
            future = caption_decoder.get().submit(audio=bytes(self._buffer), offset_s=self._base_s, prompt=prompt)
            if future is not None:
                try:
                    decoded = await asyncio.wait_for(asyncio.wrap_future(future),
                                                     timeout=max(0.1, deadline - time.monotonic()))
                    words = self._uncommitted(decoded)
                except Exception:  # noqa: BLE001 - the final transcript is made from the file anyway
                    log.debug("last caption decode failed", exc_info=True)
        if words:
            await self._emit_words("transcript.final", words)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
