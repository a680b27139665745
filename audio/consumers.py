"""`/ws/interview/<session id>/`: the audio socket of one interview room (protocol: docs/protocol.md).

An interface: it authenticates, parses and validates messages, and routes them to the answer's `AnswerStream`
(audio/live.py) and to the interview services. CPU-heavy work never runs on the event loop's shared sync thread.

The edges of an answer never hold up other sockets' frames: database calls (`connect`, `answer.start`,
`answer.end`) run on the consumer's own small executor, not on the one sync thread that Channels, Django's sync
views and the auth middleware share; audio frames and channel-layer events skip Channels' per-message connection
clean-up hop to that thread (`dispatch`); the session's owner is cached; the pipeline is queued after commit and
never waited for. `WS_LEGACY_EDGES` restores the old paths, only as bench/burst.py's same-run baseline.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import connection

from audio.live import AnswerStream, StreamError
from sessions import notify
from sessions.selectors import caption_engine_preference

log = logging.getLogger(__name__)

CLOSE_ANONYMOUS = 4401
# Someone else's interview closes exactly like an unknown one, so the code does not reveal that it exists.
CLOSE_NOT_FOUND = 4404
# Another socket resumed the answer this one was recording: it is now the only writer (docs/protocol.md).
CLOSE_TAKEN_OVER = 4409
CLOSE_FLOOD = 4429
# How long a socket resuming an answer waits for the socket that holds it to let go (a holder in another
# process hears the request through the channel layer).
TAKEOVER_WAIT_S = 10.0
MAX_TEXT_PER_SECOND = 50
MAX_ERRORS_PER_SECOND = 50
# Browsers may send small frames (a worklet quantum is 128 samples = 256 bytes, 125 a second); beyond this
# many frames a second it is a flood whatever their size.
MAX_FRAMES_PER_SECOND = 250
SERVER_END_GRACE_S = 3.0


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- database access (off the shared sync thread) -------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")

_db_pool_lock = threading.Lock()
_db_pool: ThreadPoolExecutor | None = None


def _socket_db_pool() -> ThreadPoolExecutor:
    """The sockets' own database threads. SQLite takes one writer at a time, so more threads would only wait on its
    lock (and an in-memory test database refuses two writing threads); a server database gets a few."""
    global _db_pool
    with _db_pool_lock:
        if _db_pool is None:
            workers = 1 if connection.vendor == "sqlite" else settings.WS_DB_THREADS
            _db_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ws-db")
        return _db_pool


def _socket_db(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`database_sync_to_async` on the sockets' own executor (connections cleaned up before and after each call),
    so a slow write at a burst of connects or answer ends never queues other sockets behind the shared sync thread.
    """
    shared = database_sync_to_async(fn)

    @functools.wraps(fn)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if settings.WS_LEGACY_EDGES:
            return await shared(*args, **kwargs)
        return await database_sync_to_async(fn, thread_sensitive=False, executor=_socket_db_pool())(*args, **kwargs)

    return call


# Session id -> owner id. An interview never changes owner, so a reconnecting class (every socket of a burst
# reconnecting after a network blip) authorises from memory; only ids that exist are cached.
_OWNERS_MAX = 10_000
_owners: OrderedDict[int, int] = OrderedDict()


@_socket_db
def _load_owner(session_id: int) -> int | None:
    from sessions.models import InterviewSession

    return InterviewSession.objects.filter(pk=session_id).values_list("owner_id", flat=True).first()


async def _session_owner(session_id: int, user_id: int) -> int | None:
    owner = _owners.get(session_id)
    # Only a match is trusted from memory: a miss or another owner is read again (ids are never reused).
    if owner != user_id or settings.WS_LEGACY_EDGES:
        owner = await _load_owner(session_id)
        if owner is None:
            return None
        _owners[session_id] = owner
        if len(_owners) > _OWNERS_MAX:
            _owners.popitem(last=False)
    return owner


@_socket_db
def _session_state(session_id: int) -> tuple[bool, dict[str, Any] | None]:
    """(hands-free?, the answer still recording, if any): what a connect needs, in one trip to the database."""
    from sessions.models import InterviewSession
    from sessions.services import answer_in_progress

    session = InterviewSession.objects.filter(pk=session_id).first()
    if session is None:
        raise InterviewSession.DoesNotExist  # deleted since its owner was cached
    answer = answer_in_progress(session=session)
    if answer is None:
        return session.hands_free, None
    size = answer.audio_path.stat().st_size if answer.audio_path.exists() else 0
    return session.hands_free, {"answer_id": answer.pk, "question_id": answer.question_id,
                                "received_bytes": size - size % 2}


@_socket_db
def _begin_answer(session_id: int, user_id: int, question_id: int) -> dict[str, Any]:
    from sessions.models import SessionQuestion
    from sessions.services import InterviewError, answer_begin

    question = (SessionQuestion.objects.select_related("session", "session__owner")
                .filter(pk=question_id, session_id=session_id).first())
    if question is None:
        raise ProtocolError("unknown_question", "That question is not part of this interview.")
    try:
        answer = answer_begin(question=question, user=question.session.owner)
    except InterviewError as exc:
        raise ProtocolError(exc.code, str(exc)) from exc
    return {"answer_id": answer.pk, "question_id": question.pk, "attempt": answer.attempt,
            "audio_path": answer.audio_path, "started_wall": answer.started_at.timestamp()}


@_socket_db
def _resume_answer(session_id: int, answer_id: int) -> dict[str, Any]:
    from sessions.models import Answer, AnswerStatus

    answer = Answer.objects.filter(pk=answer_id, question__session_id=session_id).first()
    if answer is None:
        raise ProtocolError("unknown_answer", "That answer is not part of this interview.")
    if answer.status != AnswerStatus.RECORDING:
        raise ProtocolError("answer_closed", "That answer has already ended.")
    return {"answer_id": answer.pk, "question_id": answer.question_id, "attempt": answer.attempt,
            "audio_path": answer.audio_path, "started_wall": answer.started_at.timestamp()}


@_socket_db
def _complete_answer(answer_id: int, signal: dict[str, Any], audio_bytes: int,
                     live_transcript: dict[str, Any] | None, live_engine: str) -> None:
    from sessions.models import Answer
    from sessions.services import answer_complete

    answer_complete(answer=Answer.objects.get(pk=answer_id), signal=signal, audio_bytes=audio_bytes,
                    live_transcript=live_transcript, live_engine=live_engine)


def writer_group(answer_id: int) -> str:
    """The channel-layer group of the one socket writing an answer: where a takeover request is sent."""
    return f"answer-writer-{answer_id}"


# Messages that never touch the database: an audio frame, and events from the channel layer.
_NO_DB_EVENTS = frozenset({"session.event", "answer.takeover"})


class InterviewConsumer(AsyncWebsocketConsumer):
    session_id: int | None = None
    stream: AnswerStream | None = None
    end_on_silence_s: float | None = None
    # When the server ended the last answer on silence: the browser keeps streaming until it hears so, and the
    # frames in flight then are dropped quietly instead of each drawing a `no_answer` error.
    _server_ended_at: float = -1e9

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels awaits `aclose_old_connections()` on the one shared sync thread before every message. For an
        audio frame (8 a second per socket) that hop is ~12% of the server's time and, worse, waits behind whatever
        that thread is doing (another socket's connect, a sync page view): every frame of every socket queued
        behind it. Frames and channel-layer events touch no database, so they go straight to their handler; the
        messages that do (connect, text, disconnect) keep the clean-up, and their own queries clean up around
        themselves too (`_socket_db`)."""
        kind = message.get("type")
        if not settings.WS_LEGACY_EDGES and (
                (kind == "websocket.receive" and message.get("bytes") is not None) or kind in _NO_DB_EVENTS):
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    async def connect(self) -> None:
        # Accept first, then close with an application code: a close before accept reaches browsers as a bare
        # HTTP 403 with no code to tell the cases apart.
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_ANONYMOUS)
            return
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        if await _session_owner(session_id, user.pk) != user.pk:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        from sessions.models import InterviewSession

        try:
            hands_free, in_progress = await _session_state(session_id)
        except InterviewSession.DoesNotExist:
            _owners.pop(session_id, None)
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.session_id = session_id
        self.user_id = user.pk
        # Only a hands-free interview's answers are ended by the server; the others wait for `answer.end`.
        self.end_on_silence_s = settings.HANDS_FREE_SILENCE_S if hands_free else None
        self._text_window = (0.0, 0)
        self._error_window = (0.0, 0)
        self._frame_window = (0.0, 0)
        notify.web_loop_register(asyncio.get_running_loop())
        await self.channel_layer.group_add(notify.session_group(session_id), self.channel_name)
        await self.send_json({"type": "ready", "session_id": session_id, "engine": caption_engine_preference(),
                              "answer_in_progress": in_progress})

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None:
            await self.channel_layer.group_discard(notify.session_group(self.session_id), self.channel_name)
        if self.stream is not None and not self.stream.ended:
            await self._drop_stream()
        self.stream = None

    # --- messages from the browser --------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session_id is None:
            return
        try:
            if bytes_data is not None:
                await self._on_audio(bytes_data)
            elif text_data is not None:
                await self._on_text(text_data)
        except ProtocolError as exc:
            await self._error(exc.code, str(exc))
        except StreamError as exc:
            await self._error(exc.code, str(exc))
            if exc.close_code:
                await self._drop_stream()
                await self.close(code=exc.close_code)
        except Exception:  # noqa: BLE001 - one bad message must not take the socket down
            log.exception("error handling a message on session %s", self.session_id)
            await self._error("server_error", "The server could not handle that message; your audio is kept.")

    async def _on_text(self, text: str) -> None:
        if self._over(window="_text_window", limit=MAX_TEXT_PER_SECOND):
            raise StreamError("too_fast", "Too many messages; the connection is closed.", close_code=CLOSE_FLOOD)
        if len(text) > settings.WS_MAX_TEXT_BYTES:
            raise ProtocolError("frame_too_large", f"Text messages are limited to {settings.WS_MAX_TEXT_BYTES} bytes.")
        try:
            message = json.loads(text)
        except ValueError as exc:
            raise ProtocolError("bad_json", "Messages must be JSON objects.") from exc
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise ProtocolError("bad_message", "Messages are JSON objects with a string `type`.")
        kind = message["type"]
        if kind == "ping":
            t = message.get("t")
            await self.send_json({"type": "pong", "t": t if isinstance(t, int | float) else None,
                                  "server_time": time.time()})
        elif kind == "answer.start":
            await self._answer_start(message)
        elif kind == "answer.resume":
            await self._answer_resume(message)
        elif kind == "answer.end":
            await self._answer_end(reason="client")
        else:
            raise ProtocolError("unknown_type", f"Unknown message type {kind[:40]!r}.")

    def _over(self, *, window: str, limit: int) -> bool:
        started, count = getattr(self, window)
        now = time.monotonic()
        if now - started >= 1.0:
            started, count = now, 0
        count += 1
        setattr(self, window, (started, count))
        return count > limit

    @staticmethod
    def _int_field(message: dict[str, Any], name: str) -> int:
        value = message.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ProtocolError("bad_message", f"`{name}` must be a positive integer.")
        return value

    async def _answer_start(self, message: dict[str, Any]) -> None:
        if self.stream is not None:
            raise ProtocolError("answer_in_progress", "An answer is already being recorded; end it first.")
        question_id = self._int_field(message, "question_id")
        info = await _begin_answer(self.session_id, self.user_id, question_id)
        await self._open_stream(info, resume=False)

    async def _answer_resume(self, message: dict[str, Any]) -> None:
        answer_id = self._int_field(message, "answer_id")
        if self.stream is not None:
            if self.stream.answer_id == answer_id:
                await self._send_started(self.stream)
                return
            raise ProtocolError("answer_in_progress", "Another answer is being recorded; end it first.")
        info = await _resume_answer(self.session_id, answer_id)
        await self._open_stream(info, resume=True)

    async def _open_stream(self, info: dict[str, Any], *, resume: bool) -> None:
        stream = AnswerStream(answer_id=info["answer_id"], question_id=info["question_id"], attempt=info["attempt"],
                              audio_path=info["audio_path"], started_wall=info["started_wall"], emit=self.send_json,
                              caption_prefer=caption_engine_preference(), end_on_silence_s=self.end_on_silence_s)
        await self._claim(stream, resume=resume)
        self.stream = stream
        await self.channel_layer.group_add(writer_group(stream.answer_id), self.channel_name)
        await self._send_started(stream)

    async def _claim(self, stream: AnswerStream, *, resume: bool) -> None:
        """Open the stream as the answer's only writer. When another socket holds it (its file lock), ask that one
        to let go (it closes with 4409 after flushing) and wait for the lock: the latest socket takes over, as a
        browser reconnecting after a network change must, and two sockets never write the same file."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TAKEOVER_WAIT_S
        asked_at = None
        while True:
            try:
                await stream.open(resume=resume)
                return
            except StreamError as exc:
                if exc.code != "answer_busy" or loop.time() > deadline:
                    raise
            if asked_at is None or loop.time() - asked_at > 1.0:  # at most once a second: delivery is best effort
                asked_at = loop.time()
                await self.channel_layer.group_send(writer_group(stream.answer_id), {
                    "type": "answer.takeover", "answer_id": stream.answer_id, "by": self.channel_name})
            await asyncio.sleep(0.05)

    async def answer_takeover(self, message: dict[str, Any]) -> None:
        stream = self.stream
        if stream is None or message.get("by") == self.channel_name or message.get("answer_id") != stream.answer_id:
            return
        await self._drop_stream()  # flushes and closes the file: the lock passes to the new socket
        await self._error("taken_over", "This answer continues on another connection (another tab or window).")
        await self.close(code=CLOSE_TAKEN_OVER)

    async def _send_started(self, stream: AnswerStream) -> None:
        await self.send_json({"type": "answer.started", "answer_id": stream.answer_id,
                              "question_id": stream.question_id, "attempt": stream.attempt,
                              "engine": stream.engine, "received_bytes": stream.received_bytes,
                              "resumed": stream.resumed})

    async def _answer_end(self, *, reason: str) -> None:
        stream = self.stream
        if stream is None:
            raise ProtocolError("no_answer", "No answer is being recorded.")
        self.stream = None
        await self.channel_layer.group_discard(writer_group(stream.answer_id), self.channel_name)
        signal, live_transcript = await stream.end()
        await _complete_answer(stream.answer_id, dict(signal), stream.received_bytes, live_transcript,
                               stream.engine if live_transcript else "")
        flat = {k: v for k, v in signal.items() if k not in ("pauses", "contour")}
        await self.send_json({"type": "answer.ended", "answer_id": stream.answer_id, "reason": reason,
                              "received_bytes": stream.received_bytes, "aggregates": flat})

    async def _on_audio(self, data: bytes) -> None:
        if self._over(window="_frame_window", limit=MAX_FRAMES_PER_SECOND):
            raise StreamError("too_fast", "Too many audio frames; the connection is closed.", close_code=CLOSE_FLOOD)
        if len(data) > settings.AUDIO_MAX_FRAME_BYTES:
            raise ProtocolError("frame_too_large",
                                f"Audio frames are limited to {settings.AUDIO_MAX_FRAME_BYTES} bytes "
                                "(4096 recommended).")
        if not data:
            raise ProtocolError("empty_frame", "Empty audio frame.")
        stream = self.stream
        if stream is None:
            if time.monotonic() - self._server_ended_at < SERVER_END_GRACE_S:
                return
            raise ProtocolError("no_answer", "Audio arrived outside an answer; send answer.start first.")
        stream.check_rate(len(data))
        await stream.feed(data)
        if stream.over_length():
            await self._error("answer_too_long",
                              f"Answers are limited to {settings.AUDIO_MAX_ANSWER_SECONDS // 60} minutes; "
                              "this one was ended for you.")
            await self._answer_end(reason="too_long")
        elif stream.silence_reached:
            self._server_ended_at = time.monotonic()
            await self._answer_end(reason="silence")

    async def _drop_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            await stream.suspend()
            await self.channel_layer.group_discard(writer_group(stream.answer_id), self.channel_name)

    async def _error(self, code: str, message: str) -> None:
        if self._over(window="_error_window", limit=MAX_ERRORS_PER_SECOND):
            return  # a client provoking errors in a loop does not get an echo for each
        await self.send_json({"type": "error", "code": code, "message": message})

    # --- events from tasks (channel layer) ------------------------------------------------------------------

    async def session_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if isinstance(event, dict):
            await self.send_json(event)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))
