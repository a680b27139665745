"""One answer captioned by AssemblyAI Universal-Streaming v3 through the SDK's asyncio client.

The async client (not the threaded `StreamingClient`) fits a Channels consumer: its read task runs on the event
loop and awaits our handlers inline, so caption events go out without crossing threads. `feed()` is synchronous
and cheap: it batches frames to the 50-1000 ms messages the service requires and puts them on the SDK's queue.

Any sign that the service will not deliver (refused connection, HTTP 401 at the upgrade, an Error frame, a close,
no `Begin` or no answer to speech within `ASSEMBLYAI_TIMEOUT_S`) calls `on_failure` once; the captioner then
continues locally from `uncommitted_audio()`, the audio after the last final turn, so no caption is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from django.conf import settings

from audio.transcription.base import Transcript, Word, mean_confidence

log = logging.getLogger(__name__)

ENGINE = "assemblyai"
BYTES_PER_SECOND = 32000
# The service closes with 3007 on messages outside 50-1000 ms. 100 ms batches keep latency low and stay well
# inside the window; a 32 KiB browser frame (1.02 s) is split.
MIN_MESSAGE_BYTES = 1600
BATCH_BYTES = 3200
MAX_MESSAGE_BYTES = 32000
# Audio whose RMS exceeds this (-40 dBFS) is taken as speech the service must answer; its silence is a stall.
VOICED_RMS = 0.01
# Bound on audio kept for a local fallback when the service never ends a turn.
MAX_RETAINED_BYTES = 60 * BYTES_PER_SECOND
WATCHDOG_PERIOD_S = 0.2

Emit = Callable[[dict[str, Any]], Awaitable[None]]
OnFailure = Callable[[str], Awaitable[None]]


def _rms(data: bytes | bytearray) -> float:
    samples = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2").astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples)) / 32768.0) if samples.size else 0.0


class AssemblyAIStream:
    engine = ENGINE

    def __init__(self, *, emit: Emit, on_failure: OnFailure, time_offset_s: float = 0.0) -> None:
        self._emit = emit
        self._on_failure = on_failure
        self.time_offset_s = time_offset_s
        self._client: Any = None
        self._connect_task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._teardown: asyncio.Task[None] | None = None
        self._connected = False
        self._begun = False
        self._terminating = False
        self.terminated = False
        self.failed: str | None = None
        self._started_at = 0.0
        self._pending = bytearray()  # not yet sent: less than a batch
        self._backlog: list[bytes] = []  # batches made before the socket opened
        self._sent_bytes = 0
        self._unanswered_since: float | None = None
        # Audio after the last final turn, for a local fallback: answer time of its first byte.
        self._retained = bytearray()
        self._retained_from_s = time_offset_s
        self._finals: dict[int, tuple[str, list[Word]]] = {}
        self._final_formatted: set[int] = set()
        self._format_turns = True

    # --- life cycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the session in the background: the answer starts at once, audio waits in the backlog."""
        from assemblyai.streaming.v3 import AsyncStreamingClient, StreamingClientOptions, StreamingEvents

        timeout = settings.ASSEMBLYAI_TIMEOUT_S
        self._client = AsyncStreamingClient(StreamingClientOptions(
            api_key=settings.ASSEMBLYAI_API_KEY, api_host=settings.ASSEMBLYAI_HOST, connect_timeout=timeout,
            max_connection_retries=1, connection_retry_delay=0.2, terminate_timeout=timeout,
        ))
        self._client.on(StreamingEvents.Begin, self._on_begin)
        self._client.on(StreamingEvents.Turn, self._on_turn)
        self._client.on(StreamingEvents.Termination, self._on_termination)
        self._client.on(StreamingEvents.Error, self._on_error)
        self._started_at = time.monotonic()
        self._connect_task = asyncio.create_task(self._connect(), name="assemblyai-connect")
        self._watchdog = asyncio.create_task(self._watch(), name="assemblyai-watchdog")

    async def _connect(self) -> None:
        from assemblyai.streaming.v3 import Encoding, StreamingParameters

        params = StreamingParameters(sample_rate=16000, encoding=Encoding.pcm_s16le,
                                     speech_model=settings.ASSEMBLYAI_SPEECH_MODEL, format_turns=self._format_turns)
        try:
            await self._client.connect(params)
        except Exception as exc:  # noqa: BLE001 - the SDK reports most faults to on_error; anything else too
            await self._fail(f"connect failed: {exc}")
            return
        if self.failed:
            return
        # No await from here on: the backlog goes on the queue before any frame fed later.
        queue = self._client._write_queue
        for batch in self._backlog:
            queue.put_nowait(batch)
        self._backlog = []
        self._connected = True

    def feed(self, data: bytes) -> None:
        """Called for every frame on the event loop: buffer, batch, queue. Never waits on the network."""
        if self.failed or self._terminating:
            return
        self._retain(data)
        self._pending.extend(data)
        while len(self._pending) >= BATCH_BYTES:
            size = min(len(self._pending), MAX_MESSAGE_BYTES)
            self._send(bytes(self._pending[:size]))
            del self._pending[:size]

    def _send(self, batch: bytes) -> None:
        if self._unanswered_since is None and _rms(batch) >= VOICED_RMS:
            self._unanswered_since = time.monotonic()
        self._sent_bytes += len(batch)
        if not self._connected:
            self._backlog.append(batch)
            return
        # The SDK's `stream()` coroutine only does `await queue.put()` on its unbounded queue; putting directly
        # keeps `feed()` synchronous (one frame, no task per frame).
        self._client._write_queue.put_nowait(batch)

    def _retain(self, data: bytes) -> None:
        self._retained.extend(data)
        excess = len(self._retained) - MAX_RETAINED_BYTES
        if excess > 0:
            excess += excess % 2
            del self._retained[:excess]
            self._retained_from_s += excess / BYTES_PER_SECOND

    def uncommitted_audio(self) -> tuple[float, bytes]:
        """(answer time of its first sample, PCM) of the audio no final turn has covered yet."""
        return self._retained_from_s, bytes(self._retained)

    # --- the watchdog ---------------------------------------------------------------------------------

    def _socket_closed(self) -> bool:
        # The SDK reports a normal close (1000) from the server to nobody; its stop event is the only trace.
        stop = getattr(self._client, "_stop_event", None)
        return bool(self._connected and stop is not None and stop.is_set())

    async def _watch(self) -> None:
        timeout = settings.ASSEMBLYAI_TIMEOUT_S
        while not self.failed and not self._terminating:
            await asyncio.sleep(WATCHDOG_PERIOD_S)
            if self.failed or self._terminating:
                return
            now = time.monotonic()
            if not self._begun and now - self._started_at > timeout:
                await self._fail(f"no session within {timeout:g} s")
            elif self._socket_closed():
                await self._fail("the service closed the connection")
            elif self._unanswered_since is not None and now - self._unanswered_since > timeout:
                await self._fail(f"no answer to speech within {timeout:g} s")

    async def _fail(self, reason: str) -> None:
        if self.failed or self.terminated:
            return
        self.failed = reason
        if self._terminating:
            return  # the answer is ending: finish() sees the failure and the final transcript is made locally
        log.warning("AssemblyAI streaming failed (%s); continuing with local captions", reason)
        # Tear the session down off this call stack (it may be the SDK's own read task); Terminate is still sent
        # when the socket is alive, since the service bills while a session is open.
        self._teardown = asyncio.create_task(self._disconnect(), name="assemblyai-teardown")
        await self._on_failure(reason)

    async def _disconnect(self) -> None:
        if self._client is None:
            return
        try:
            if self._connect_task is not None and not self._connect_task.done():
                await asyncio.wait({self._connect_task}, timeout=settings.ASSEMBLYAI_TIMEOUT_S)
            await asyncio.wait_for(self._client.disconnect(terminate=True),
                                   timeout=settings.ASSEMBLYAI_TIMEOUT_S + 3)
        except Exception:  # noqa: BLE001 - best effort on a session already given up
            log.debug("AssemblyAI disconnect failed", exc_info=True)

    # --- SDK events (awaited inline on the SDK's read task) --------------------------------------------

    async def _on_begin(self, _client: Any, _event: Any) -> None:
        self._begun = True
        self._unanswered_since = None

    async def _on_termination(self, _client: Any, _event: Any) -> None:
        self.terminated = True

    async def _on_error(self, _client: Any, error: Any) -> None:
        code = getattr(error, "code", None)
        await self._fail(f"{error} (code {code})" if code else str(error))

    def _words(self, event: Any) -> list[Word]:
        return [Word(text=w.text, start=w.start / 1000 + self.time_offset_s, end=w.end / 1000 + self.time_offset_s,
                     probability=w.confidence) for w in event.words]

    async def _on_turn(self, _client: Any, event: Any) -> None:
        self._unanswered_since = None
        if self.failed:
            return
        words = self._words(event)
        if not event.end_of_turn:
            await self._emit_words("transcript.partial", event.transcript, words)
            return
        order = event.turn_order
        if order in self._final_formatted:
            return
        if self._format_turns and not event.turn_is_formatted:
            # The formatted version of this turn follows; keep this one in case it never comes.
            self._finals.setdefault(order, (event.transcript, words))
            return
        self._finals[order] = (event.transcript, words)
        self._final_formatted.add(order)
        self._commit(words)
        await self._emit_words("transcript.final", event.transcript, words)

    def _commit(self, words: list[Word]) -> None:
        if not words:
            return
        drop = int((words[-1].end - self._retained_from_s) * BYTES_PER_SECOND)
        drop = max(0, min(drop - drop % 2, len(self._retained)))
        del self._retained[:drop]
        self._retained_from_s += drop / BYTES_PER_SECOND

    async def _emit_words(self, kind: str, text: str, words: list[Word]) -> None:
        await self._emit({"type": kind, "text": text, "engine": ENGINE,
                          "words": [{"text": w.text, "start": round(w.start, 3), "end": round(w.end, 3)}
                                    for w in words]})

    # --- the end --------------------------------------------------------------------------------------

    async def finish(self) -> Transcript | None:
        """Send the rest, Terminate, wait for the last turn and Termination: the transcript, or None on failure."""
        if self.failed or self._client is None:
            return None
        if self._pending:
            tail = bytes(self._pending)
            self._pending.clear()
            # Pad a short tail with silence to the 50 ms minimum rather than drop the end of the answer.
            self._send(tail + bytes(max(0, MIN_MESSAGE_BYTES - len(tail))))
        if self._connect_task is not None and not self._connect_task.done():
            await asyncio.wait({self._connect_task}, timeout=settings.ASSEMBLYAI_TIMEOUT_S)
        if self.failed or not self._connected:
            await self._fail_quietly("not connected at the end of the answer")
            return None
        self._terminating = True
        await self._stop_watchdog()
        try:
            await self._client.disconnect(terminate=True)
        except Exception:  # noqa: BLE001
            log.warning("AssemblyAI disconnect failed", exc_info=True)
        if self.failed or not self.terminated:
            self.failed = self.failed or "no Termination after Terminate"
            return None
        # Turns whose formatted final never came still count, in order.
        for order, (text, words) in sorted(self._finals.items()):
            if order not in self._final_formatted:
                self._final_formatted.add(order)
                await self._emit_words("transcript.final", text, words)
        ordered = [self._finals[k] for k in sorted(self._finals)]
        words = [w for _, turn_words in ordered for w in turn_words]
        text = " ".join(t for t, _ in ordered if t).strip()
        return Transcript(text=text, words=words, engine=ENGINE, confidence=mean_confidence(words),
                          duration_s=self._sent_bytes / BYTES_PER_SECOND)

    async def _fail_quietly(self, reason: str) -> None:
        self.failed = self.failed or reason
        await self._stop_watchdog()
        await self._disconnect()

    async def _stop_watchdog(self) -> None:
        if self._watchdog is not None and not self._watchdog.done() and self._watchdog is not asyncio.current_task():
            self._watchdog.cancel()
            try:
                await self._watchdog
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass

    async def close(self) -> None:
        """Drop the session (socket gone, answer suspended): Terminate is still sent."""
        self._terminating = True
        await self._stop_watchdog()
        if self._teardown is not None:
            await asyncio.wait({self._teardown}, timeout=settings.ASSEMBLYAI_TIMEOUT_S + 5)
        elif not self.terminated:
            await self._disconnect()
