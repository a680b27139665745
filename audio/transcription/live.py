"""The live captioner of one answer: AssemblyAI when keyed and preferred, local whisper otherwise or after a fault.

Events go to `emit` (the consumer's sender): `transcript.partial` / `transcript.final` with `text`, `words`
(`{text, start, end}`, seconds from the answer's start) and `engine`; `transcript.engine` when captions switch
engine mid-answer. `finish()` returns AssemblyAI's transcript only when that engine ran the whole answer without a
fault; otherwise None, and the final transcript is made by local whisper from the stored file (which already holds
every byte: the consumer writes it, not this class).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from audio.transcription.base import Transcript
from audio.transcription.whisper_local import ENGINE as LOCAL_ENGINE

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], Awaitable[None]]


class LiveCaptioner:
    def __init__(self, *, emit: Emit, prefer: str = "local", time_offset_s: float = 0.0) -> None:
        if prefer not in {"assemblyai", "local", "off"}:
            raise ValueError(f"unknown caption engine preference {prefer!r}")
        self._emit = emit
        self.prefer = prefer
        self.time_offset_s = time_offset_s
        self.engine = "off"
        self._remote: Any = None
        self._local: Any = None
        self.fallback_reason: str | None = None
        self._finished = False

    async def start(self) -> None:
        if self.prefer == "off":
            return
        if self.prefer == "assemblyai" and settings.ASSEMBLYAI_API_KEY:
            from audio.transcription.assemblyai_stream import AssemblyAIStream

            self._remote = AssemblyAIStream(emit=self._emit, on_failure=self._on_remote_failure,
                                            time_offset_s=self.time_offset_s)
            self.engine = self._remote.engine
            await self._remote.start()
            return
        self._start_local(time_offset_s=self.time_offset_s)

    def _start_local(self, *, time_offset_s: float) -> None:
        from audio.transcription.local_stream import LocalStream

        self._local = LocalStream(emit=self._emit, time_offset_s=time_offset_s, engine=LOCAL_ENGINE)
        self.engine = LOCAL_ENGINE

    async def feed(self, data: bytes) -> None:
        """Every frame of the answer, on the event loop: both engines only buffer here."""
        if self._local is not None:
            self._local.feed(data)
        elif self._remote is not None:
            self._remote.feed(data)

    async def _on_remote_failure(self, reason: str) -> None:
        if self._local is not None or self._finished:
            return
        self.fallback_reason = reason
        # Continue from the end of AssemblyAI's last final turn, so the words it had only as partials are
        # captioned again rather than lost.
        offset_s, audio = self._remote.uncommitted_audio()
        previous = self.engine
        self._start_local(time_offset_s=offset_s)
        await self._emit({"type": "transcript.engine", "engine": self.engine, "previous": previous,
                          "reason": reason, "from_s": round(offset_s, 3)})
        if audio:
            self._local.feed(audio)

    async def finish(self) -> Transcript | None:
        self._finished = True
        transcript = None
        if self._remote is not None and self._local is None:
            transcript = await self._remote.finish()
            if transcript is None:
                self.fallback_reason = self.fallback_reason or self._remote.failed
        if self._local is not None:
            await self._local.finish()
            if self._remote is not None:
                await self._remote.close()  # the failed session's teardown (Terminate) completes before we return
        return transcript

    async def close(self) -> None:
        self._finished = True
        if self._local is not None:
            await self._local.close()
        if self._remote is not None:
            await self._remote.close()
