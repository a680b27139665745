"""One answer being spoken: its audio file, signal analyzer, live captioner, flood guard and metrics pacing.

The consumer owns at most one `AnswerStream` at a time and only parses and routes messages; everything about the
stream lives here. The signal path runs inline on the event loop: one 4096-byte frame costs ~0.1-0.3 ms, less
than a hop to a thread would. Transcription never runs here (see audio/transcription/live.py: its own pool).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

from audio import admission
from audio.dsp import EndPointer, StreamingAnalyzer

log = logging.getLogger(__name__)

BYTES_PER_SECOND = 16000 * 2
# Slack before the flood guard trips: a reconnecting browser resends what it buffered while offline, which the
# wall-clock budget below already covers; the burst only absorbs jitter at the start.
BURST_SECONDS = 2.0

# Rebuilding an analyzer from a stored file on resume is CPU work of up to a second for a long answer: a small
# dedicated pool keeps it off the event loop and off the shared sync thread.
_replay_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay")

Emit = Callable[[dict[str, Any]], Awaitable[None]]


class StreamError(Exception):
    def __init__(self, code: str, message: str, *, close_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.close_code = close_code


def _analyzer_from_file(path: Path, upto: int) -> StreamingAnalyzer:
    analyzer = StreamingAnalyzer(sample_rate=settings.AUDIO_SAMPLE_RATE)
    with path.open("rb") as handle:
        remaining = upto
        while remaining > 0:
            chunk = handle.read(min(65536, remaining))
            if not chunk:
                break
            analyzer.feed(chunk)
            remaining -= len(chunk)
    return analyzer


class AnswerStream:
    def __init__(self, *, answer_id: int, question_id: int, attempt: int, audio_path: Path, started_wall: float,
                 emit: Emit, caption_prefer: str, end_on_silence_s: float | None = None) -> None:
        self.answer_id = answer_id
        self.question_id = question_id
        self.attempt = attempt
        self.audio_path = audio_path
        self.started_wall = started_wall
        self._emit = emit
        self._caption_prefer = caption_prefer
        self._file: BinaryIO | None = None
        self.analyzer: StreamingAnalyzer | None = None
        self.captioner: Any = None
        self.received_bytes = 0
        self.resumed = False
        self._last_metrics = 0.0
        self._metrics_interval = 1.0 / settings.AUDIO_METRICS_PER_SECOND
        self._final_words: list[dict[str, Any]] = []
        self._partial_words: list[dict[str, Any]] = []
        self.filler_count = 0
        self.ended = False
        # Hands-free interviews: the server ends the answer after a silence following speech (audio/dsp/endpoint.py).
        self.endpointer = (EndPointer(silence_s=end_on_silence_s, sample_rate=settings.AUDIO_SAMPLE_RATE)
                           if end_on_silence_s is not None else None)
        self.silence_reached = False
        self.captions_paused = False  # over LIVE_CAPTION_STREAMS_MAX: no live captions, the final transcript as usual

    @property
    def engine(self) -> str:
        # After end() the captioner is gone but the consumer still records which engine captioned the answer.
        return getattr(self.captioner, "engine", getattr(self, "_ended_engine", "off"))

    async def open(self, *, resume: bool) -> None:
        """Become the answer's only writer (StreamError `answer_busy` when another stream holds it), then
        continue the stored file (resume) or start it afresh."""
        self.audio_path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.fdopen(os.open(self.audio_path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
        try:
            # An exclusive lock for as long as the file is open: a second socket on the same answer (any process on
            # this host) cannot write until this stream closes the file, flushing what it had.
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StreamError("answer_busy", "Another connection is recording this answer.") from None
        try:
            existing = os.fstat(handle.fileno()).st_size  # read under the lock: the last writer has flushed
            # Keep whole samples only: a frame cut mid-sample by a dropped connection would shift later samples.
            existing -= existing % 2
            if resume and existing:
                loop = asyncio.get_running_loop()
                self.analyzer = await loop.run_in_executor(_replay_pool, _analyzer_from_file, self.audio_path,
                                                           existing)
                self.resumed = True
            else:
                self.analyzer = StreamingAnalyzer(sample_rate=settings.AUDIO_SAMPLE_RATE)
                existing = 0
            handle.truncate(existing)
            handle.seek(existing)
        except BaseException:
            handle.close()
            raise
        self._file = handle
        self.received_bytes = existing
        admission.stream_opened(id(self))
        await self._start_captioner(time_offset_s=existing / BYTES_PER_SECOND)

    async def _start_captioner(self, *, time_offset_s: float) -> None:
        from audio.transcription.live import LiveCaptioner

        if self._caption_prefer == "off":
            return
        if not admission.caption_slot_acquire(id(self)):
            # Back-pressure: this process already captions as many answers as it can keep up with. The answer is
            # recorded and measured as usual and its final transcript is made from the whole file; only the live
            # captions are skipped, and the page says so.
            self.captions_paused = True
            await self._emit({"type": "captions.paused", "reason": "server_busy",
                              "message": admission.CAPTIONS_PAUSED_MESSAGE})
            return
        # After a resume AssemblyAI would hear only the rest of the answer: it may caption, but `end()` drops its
        # transcript so the final one is made locally from the whole stored file.
        self.captioner = LiveCaptioner(emit=self._on_caption, prefer=self._caption_prefer,
                                       time_offset_s=time_offset_s)
        try:
            await self.captioner.start()
        except Exception:  # noqa: BLE001 - captions are optional; the final transcript is made from the file
            log.exception("live captioner failed to start; continuing without captions")
            self.captioner = None
            admission.caption_slot_release(id(self))

    async def _on_caption(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "transcript.final":
            self._final_words.extend(event.get("words", []))
            self._partial_words = []
            self._count_fillers()
        elif kind == "transcript.partial":
            self._partial_words = list(event.get("words", []))
        words = event.get("words") or []
        if words and isinstance(words[-1], dict) and isinstance(words[-1].get("end"), int | float):
            admission.caption_lag_record(id(self), audio_s=self.received_bytes / BYTES_PER_SECOND,
                                         caption_end_s=float(words[-1]["end"]))
        await self._emit(event)

    def _count_fillers(self) -> None:
        from audio.transcription.base import Word
        from audio.transcription.speech_metrics import detect_fillers

        words = [Word(text=w["text"], start=w["start"], end=w["end"], probability=None) for w in self._final_words]
        self.filler_count = sum(1 for f in detect_fillers(words) if f["kind"] == "filler")

    def check_rate(self, size: int) -> None:
        elapsed = max(0.0, time.time() - self.started_wall)
        budget = settings.AUDIO_MAX_REALTIME_FACTOR * BYTES_PER_SECOND * elapsed + BURST_SECONDS * BYTES_PER_SECOND
        if self.received_bytes + size > budget:
            raise StreamError("too_fast", f"Audio is arriving faster than {settings.AUDIO_MAX_REALTIME_FACTOR:g}x "
                              "real time; the connection is closed.", close_code=4429)

    def over_length(self) -> bool:
        return self.received_bytes >= settings.AUDIO_MAX_ANSWER_SECONDS * BYTES_PER_SECOND

    async def feed(self, data: bytes) -> None:
        assert self._file is not None and self.analyzer is not None
        self._file.write(data)
        self.received_bytes += len(data)
        self.analyzer.feed(data)
        if self.captioner is not None:
            try:
                await self.captioner.feed(data)
            except Exception:  # noqa: BLE001 - a caption fault never stops the audio
                log.exception("captioner feed failed; captions off for this answer")
                await self._close_captioner()
        now = time.monotonic()
        if now - self._last_metrics >= self._metrics_interval:
            self._last_metrics = now
            await self._emit({"type": "metrics", **self.metrics()})
        if self.endpointer is not None:
            await self._check_endpoint()

    async def _check_endpoint(self) -> None:
        """Announce the countdown, its cancel, or note that the silence ran out (the consumer then ends the answer:
        ending is its job, with the database and the socket's state)."""
        assert self.endpointer is not None and self.analyzer is not None
        event = self.endpointer.update(self.analyzer.vad, self.analyzer.processed_samples)
        if event is None:
            return
        if event.kind == "end":
            self.silence_reached = True
        elif event.kind == "ending":
            await self._emit({"type": "answer.ending", "answer_id": self.answer_id,
                              "seconds_left": event.seconds_left, "silence_s": event.silence_s,
                              "end_after_s": self.endpointer.silence_s})
        else:
            await self._emit({"type": "answer.ending_cancelled", "answer_id": self.answer_id})

    def metrics(self) -> dict[str, Any]:
        assert self.analyzer is not None
        from audio.transcription.base import Word
        from audio.transcription.speech_metrics import count_words, pace_advice, pace_wpm, speech_span_s

        snap = self.analyzer.snapshot()
        # The final figure so far (speech_metrics: first word to last word), from the captions' words; when they
        # carry no times, the VAD's first-speech..last-speech span. Caption word times are whisper's, unsnapped:
        # the first word often starts inside the thinking silence before it, so it starts no earlier than the
        # VAD's first speech (the final transcript's words are snapped to the same VAD).
        words = [Word.from_dict(w) for w in (*self._final_words, *self._partial_words)]
        span = speech_span_s(words)
        vad = self.analyzer.vad
        if span is not None and vad.first_start is not None:
            first_word = next(w.start for w in words if w.text.strip())
            span -= max(0.0, vad.first_start / self.analyzer.sample_rate - first_word)
        wpm = pace_wpm(count_words(words), span or self._vad_span_s(now_s=snap["t"]))
        return {**snap, "received_bytes": self.received_bytes, "wpm": None if wpm is None else round(wpm),
                "pace_advice": pace_advice(wpm), "filler_count": self.filler_count, "answer_id": self.answer_id}

    def _vad_span_s(self, *, now_s: float) -> float | None:
        assert self.analyzer is not None
        vad, rate = self.analyzer.vad, self.analyzer.sample_rate
        if vad.first_start is None:
            return None
        end_s = now_s if vad.in_speech or vad.last_end is None else vad.last_end / rate
        return end_s - vad.first_start / rate

    async def end(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Finish the answer: the signal aggregates and, when AssemblyAI ran the whole answer, its transcript."""
        assert self.analyzer is not None
        self.ended = True
        try:
            return await self._finish()
        finally:
            admission.stream_closed(id(self))

    async def _finish(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        assert self.analyzer is not None
        self._close_file()
        aggregates = self.analyzer.finish()
        live_transcript = None
        if self.captioner is not None:
            try:
                transcript = await asyncio.wait_for(self.captioner.finish(), timeout=settings.ASSEMBLYAI_TIMEOUT_S + 2)
            except Exception:  # noqa: BLE001 - the final transcript is then made locally from the file
                log.warning("captioner finish failed; the final transcript will be made locally", exc_info=True)
                transcript = None
            if transcript is not None and not self.resumed:
                live_transcript = transcript.to_dict()
            self._ended_engine = self.captioner.engine
            self.captioner = None
            # The last metrics during the answer cover only the words captioned by then, which on a busy machine
            # lag the audio by seconds: once every caption is in, the meter gets the figures over the whole answer
            # (`final`), the same measure on the same audio time, so it ends where the stored answer does.
            try:
                await self._emit({"type": "metrics", **self.metrics(), "final": True})
            except Exception:  # noqa: BLE001 - a display update never stops the answer from being stored
                log.warning("closing metrics event failed", exc_info=True)
        return aggregates, live_transcript

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.flush()
                self._file.close()
            finally:
                self._file = None

    async def _close_captioner(self) -> None:
        captioner, self.captioner = self.captioner, None
        admission.caption_slot_release(id(self))
        if captioner is not None:
            try:
                await captioner.close()
            except Exception:  # noqa: BLE001
                log.debug("captioner close failed", exc_info=True)

    async def suspend(self) -> None:
        """The socket went away mid-answer: keep what arrived (the file) so the answer can be resumed."""
        self._close_file()
        await self._close_captioner()
        admission.stream_closed(id(self))
