"""A fake AssemblyAI Universal-Streaming v3 server on 127.0.0.1 that speaks the real wire protocol.

It does not recognise speech: it "hears" a script of words with times, releasing each word once the client has
sent audio past the word's end, so tests know exactly what the captions must say. Everything else follows the
real service (see /work/shared/PROTOCOL_NOTES.md): auth in the `Authorization` header (raw key) or `?token=`,
`Begin` first, `Turn` partials and end-of-turn finals (ms word timings; a second, formatted final when
`format_turns=true`), binary frames of 50-1000 ms (else Error 3007 and close 3007), `Terminate` -> the last turn's
final, `Termination` and a normal close.

Switches for faults: `mode="wrong_key"` (every key rejected with HTTP 401 at the upgrade), `"error"` (an Error
frame then a close with its code once `fail_after_s` of audio arrived), `"close"` (the socket closed mid-stream
with `close_code`, no Error), `"silence"` (stops answering, keeps reading), `"slow"` (every message delayed by
`slow_s`). `enforce_realtime` closes with 3007 when audio arrives faster than real time, as the service does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

BYTES_PER_MS = 32  # 16 kHz, 16-bit mono
MIN_FRAME_BYTES = 50 * BYTES_PER_MS
MAX_FRAME_BYTES = 1000 * BYTES_PER_MS
END_OF_TURN_SILENCE_MS = 400

ScriptWord = tuple[str, float, float]  # text (as formatted, with punctuation), start s, end s


def script_from_text(text: str, *, start_s: float = 0.3, word_s: float = 0.35, gap_s: float = 0.05,
                     turn_gap_s: float = 1.0) -> list[list[ScriptWord]]:
    """A script from text: one turn per sentence (split at . ? !), words at an even pace, a pause between turns."""
    turns: list[list[ScriptWord]] = []
    t = start_s
    for sentence in re.split(r"(?<=[.?!])\s+", text.strip()):
        words = sentence.split()
        if not words:
            continue
        turn = []
        for word in words:
            turn.append((word, round(t, 3), round(t + word_s, 3)))
            t += word_s + gap_s
        turns.append(turn)
        t += turn_gap_s
    return turns


def _unformatted(text: str) -> str:
    return re.sub(r"[^\w'\s-]", "", text).lower()


@dataclass
class SessionRecord:
    """What one client connection did, for assertions."""

    query: dict[str, str] = field(default_factory=dict)
    authorization: str | None = None
    audio_bytes: int = 0
    frame_sizes: list[int] = field(default_factory=list)
    client_messages: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    terminate_received: bool = False
    close_code: int | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class FakeAssemblyAI:
    def __init__(self, *, api_key: str = "test-key", tokens: tuple[str, ...] = ("temp-token",),
                 script: list[list[ScriptWord]] | None = None, mode: str = "normal", fail_after_s: float = 1.0,
                 close_code: int = 1011, slow_s: float = 0.0, enforce_realtime: bool = False) -> None:
        if mode not in {"normal", "wrong_key", "error", "close", "silence", "slow"}:
            raise ValueError(f"unknown mode {mode!r}")
        self.api_key = api_key
        self.tokens = set(tokens)
        self.script = script or []
        self.mode = mode
        self.fail_after_s = fail_after_s
        self.close_code = close_code
        self.slow_s = slow_s
        self.enforce_realtime = enforce_realtime
        self.sessions: list[SessionRecord] = []
        self.rejected: list[int] = []
        self._server: Server | None = None
        self.port = 0

    @property
    def host(self) -> str:
        """What `api_host` should be set to (the SDK accepts a ws:// URL there)."""
        return f"ws://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeAssemblyAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._server = await serve(self._handler, "127.0.0.1", 0, process_request=self._process_request,
                                   close_timeout=1)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=5)
            self._server = None

    # --- the upgrade ------------------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path != "/v3/ws":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        key = request.headers.get("Authorization")
        authorised = (key == self.api_key or key in self.tokens or query.get("token") in self.tokens)
        if self.mode == "wrong_key" or not authorised:
            self.rejected.append(HTTPStatus.UNAUTHORIZED)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Invalid API key\n")
        return None

    # --- one session ------------------------------------------------------------------------------------

    async def _handler(self, ws: ServerConnection) -> None:
        record = SessionRecord()
        self.sessions.append(record)
        url = urlsplit(ws.request.path if ws.request else "")
        record.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        record.authorization = ws.request.headers.get("Authorization") if ws.request else None
        # Messages go out through a queue drained by their own task, so a slow server still reads what the
        # client sends (Terminate included) while its answers lag.
        outbox: asyncio.Queue[dict[str, Any] | tuple[int, str] | None] = asyncio.Queue()
        sender = asyncio.create_task(self._sender(ws, record, outbox))
        try:
            await self._session(ws, record, outbox)
            outbox.put_nowait(None)  # the sender stops once what is queued is out
            await asyncio.wait({sender}, timeout=30)
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            record.close_code = record.close_code or ws.close_code
            record.finished.set()

    async def _sender(self, ws: ServerConnection, record: SessionRecord,
                      outbox: asyncio.Queue[dict[str, Any] | tuple[int, str] | None]) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                item = await outbox.get()
                if item is None:
                    return
                if isinstance(item, tuple):
                    record.close_code = item[0]
                    await ws.close(code=item[0], reason=item[1])
                    return
                if self.mode == "slow" and self.slow_s:
                    await asyncio.sleep(self.slow_s)
                record.sent.append(item)
                await ws.send(json.dumps(item))

    @staticmethod
    def _fail(outbox: asyncio.Queue[Any], code: int, message: str) -> None:
        outbox.put_nowait({"type": "Error", "error_code": code, "error": message})
        outbox.put_nowait((code, message[:100]))

    async def _session(self, ws: ServerConnection, record: SessionRecord,
                       outbox: asyncio.Queue[Any]) -> None:
        query = record.query
        if query.get("sample_rate") != "16000" or query.get("encoding", "pcm_s16le") != "pcm_s16le":
            self._fail(outbox, 3006, "Invalid sample_rate or encoding")
            return
        format_turns = query.get("format_turns", "False").lower() == "true"
        opened = time.monotonic()
        outbox.put_nowait({"type": "Begin", "id": str(uuid.uuid4()), "expires_at": int(time.time()) + 3600})
        state = _TurnState(self.script, format_turns=format_turns)
        silent = False
        async for message in ws:
            if isinstance(message, bytes):
                size = len(message)
                record.frame_sizes.append(size)
                if size < MIN_FRAME_BYTES or size > MAX_FRAME_BYTES:
                    self._fail(outbox, 3007, "Input duration violation: audio must be 50-1000 ms per message")
                    return
                record.audio_bytes += size
                audio_s = record.audio_bytes / BYTES_PER_MS / 1000
                if self.enforce_realtime and audio_s > (time.monotonic() - opened) + 2.0:
                    self._fail(outbox, 3007, "Audio sent faster than real time")
                    return
                if audio_s >= self.fail_after_s:
                    if self.mode == "error":
                        self._fail(outbox, 3005, "Internal server error")
                        return
                    if self.mode == "close":
                        outbox.put_nowait((self.close_code, "going away"))
                        return
                    if self.mode == "silence":
                        silent = True
                if not silent:
                    for out in state.advance(audio_s * 1000):
                        outbox.put_nowait(out)
                continue
            try:
                payload = json.loads(message)
            except ValueError:
                self._fail(outbox, 3006, "Invalid JSON")
                return
            record.client_messages.append(payload)
            kind = payload.get("type")
            if kind == "Terminate":
                record.terminate_received = True
                if silent:
                    continue  # a dead session never answers, not even Terminate
                for out in state.flush():
                    outbox.put_nowait(out)
                outbox.put_nowait({
                    "type": "Termination",
                    "audio_duration_seconds": round(record.audio_bytes / BYTES_PER_MS / 1000),
                    "session_duration_seconds": round(time.monotonic() - opened),
                })
                outbox.put_nowait((1000, ""))
                return
            if kind == "ForceEndpoint" and not silent:
                for out in state.flush():
                    outbox.put_nowait(out)
            elif kind not in {"KeepAlive", "UpdateConfiguration", "ForceEndpoint"}:
                self._fail(outbox, 3006, f"Unknown message type {kind!r}")
                return


class _TurnState:
    """Which scripted words the client's audio has reached, and the Turn messages that follow from it."""

    def __init__(self, script: list[list[ScriptWord]], *, format_turns: bool) -> None:
        self.turns = script
        self.format_turns = format_turns
        self.turn_index = 0
        self.heard = 0  # words of the current turn already sent in a partial
        self.audio_ms = 0.0

    def _turn_message(self, words: list[ScriptWord], *, end: bool, formatted: bool) -> dict[str, Any]:
        items = []
        for k, (text, start, stop) in enumerate(words):
            items.append({"start": round(start * 1000), "end": round(stop * 1000),
                          "text": text if formatted else _unformatted(text),
                          "confidence": 0.9 - 0.01 * (k % 5), "word_is_final": end or k < len(words) - 1})
        transcript = " ".join(item["text"] for item in items)
        return {"type": "Turn", "turn_order": self.turn_index, "turn_is_formatted": formatted, "end_of_turn": end,
                "transcript": transcript, "end_of_turn_confidence": 0.9 if end else 0.1,
                "words": items, "utterance": transcript if end else ""}

    def _finals(self, words: list[ScriptWord]) -> list[dict[str, Any]]:
        out = [self._turn_message(words, end=True, formatted=False)]
        if self.format_turns:
            out.append(self._turn_message(words, end=True, formatted=True))
        self.turn_index += 1
        self.heard = 0
        return out

    def advance(self, audio_ms: float) -> list[dict[str, Any]]:
        self.audio_ms = audio_ms
        out: list[dict[str, Any]] = []
        while self.turn_index < len(self.turns):
            turn = self.turns[self.turn_index]
            heard = sum(1 for _, _, stop in turn if stop * 1000 <= audio_ms)
            if heard == len(turn) and audio_ms >= turn[-1][2] * 1000 + END_OF_TURN_SILENCE_MS:
                out.extend(self._finals(turn))
                continue
            if heard > self.heard:
                self.heard = heard
                out.append(self._turn_message(turn[:heard], end=False, formatted=False))
            break
        return out

    def flush(self) -> list[dict[str, Any]]:
        """Terminate or ForceEndpoint: end the current turn with whatever audio has reached."""
        if self.turn_index >= len(self.turns):
            return []
        turn = self.turns[self.turn_index]
        heard = [w for w in turn if w[1] * 1000 < self.audio_ms]
        if not heard:
            return []
        return self._finals(heard)
