"""Live captions on a pool of caption workers outside the daphne processes (distributed mode).

With `LIVE_CAPTION_BACKEND=redis`, a daphne process keeps only the signal path: each stream's tail goes, by
value, into one Redis stream (`<prefix>:tails`), never through the channel layer, whose message size limit and
at-most-once delivery do not suit audio. Caption workers (`manage.py caption_worker`, a process per core, on any
machine that reaches Redis) read it as one consumer group: each read takes everything waiting, up to the batch
size, and decodes it in one batched call (whisper_local.caption_batch_decode), so adding a worker adds capacity.
Words come back on the asking process's own reply list (`<prefix>:reply:<client>`).

Failure semantics (captions are a convenience; the final transcript is always made from the stored file):
- a tail not answered within `LIVE_CAPTION_REMOTE_TIMEOUT_S` fails with `CaptionsUnavailable`; the stream skips
  that round and hands in its next tail, which any live worker takes: a worker lost mid-answer costs a few
  seconds of captions, not the answer;
- with no worker heartbeat in the last `HEARTBEAT_TTL_S`, tails are refused at once the same way, and the room
  says live captions are paused;
- a worker drops tails older than `STALE_S` (their stream has moved on) and, on each round, claims and drops
  entries a dead worker left unacknowledged.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from audio.transcription.base import Word

if TYPE_CHECKING:
    from audio.transcription.whisper_local import CaptionTail

log = logging.getLogger(__name__)

GROUP = "caption-workers"
HEARTBEAT_TTL_S = 5.0
STALE_S = 4.0
STREAM_MAXLEN = 2000  # tails kept at most (approximate trim): a few seconds of a large class
REPLY_TTL_S = 60


class CaptionsUnavailable(Exception):
    """No caption worker answered in time: skip this round; the next tail may be served."""


def _keys(prefix: str) -> tuple[str, str]:
    return f"{prefix}:tails", f"{prefix}:workers"


class RemoteCaptionClient:
    """The daphne side: `submit()` has the decoder's signature and never blocks (Redis I/O is on two threads)."""

    def __init__(self, *, redis_url: str, prefix: str, timeout_s: float) -> None:
        import redis

        self._redis = redis.Redis.from_url(redis_url)
        self.stream_key, self.workers_key = _keys(prefix)
        self.reply_key = f"{prefix}:reply:{uuid.uuid4().hex}"
        self.timeout_s = timeout_s
        self._pending: dict[str, tuple[Future[list[Word]], float]] = {}
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[tuple[str, bytes, float, str] | None] = queue.SimpleQueue()
        # None until the receiver thread's first look: Redis is never called on the event loop, where the first
        # stream creates this client; tails sent before that look are queued as usual.
        self._workers_alive: int | None = None
        self._closed = threading.Event()
        self.served_by: Counter[str] = Counter()  # replies per worker
        self.batches: dict[str, int] = {}  # batch id -> tails in it (the latest 1000)
        for target, name in ((self._send_loop, "captions-send"), (self._receive_loop, "captions-receive")):
            threading.Thread(target=target, name=name, daemon=True).start()

    @property
    def workers_alive(self) -> int | None:
        return self._workers_alive

    def submit(self, *, audio: bytes, offset_s: float, prompt: str) -> Future[list[Word]]:
        future: Future[list[Word]] = Future()
        if self._closed.is_set() or self._workers_alive == 0:
            future.set_exception(CaptionsUnavailable("no caption worker is running"))
            return future
        request = uuid.uuid4().hex
        with self._lock:
            self._pending[request] = (future, time.monotonic())
        self._outbox.put((request, audio, offset_s, prompt))
        return future

    def _refresh_workers(self) -> None:
        try:
            now = _redis_now(self._redis)
            self._workers_alive = int(self._redis.zcount(self.workers_key, now - HEARTBEAT_TTL_S, "+inf"))
        except Exception:  # noqa: BLE001 - Redis down: no captions until it is back
            log.warning("caption pool: Redis unreachable", exc_info=True)
            self._workers_alive = 0

    def _send_loop(self) -> None:
        while (item := self._outbox.get()) is not None:
            request, audio, offset_s, prompt = item
            try:
                self._redis.xadd(self.stream_key, {"id": request, "reply": self.reply_key, "offset": offset_s,
                                                   "prompt": prompt, "audio": audio},
                                 maxlen=STREAM_MAXLEN, approximate=True)
            except Exception as exc:  # noqa: BLE001 - this round gets no caption; the answer goes on
                self._resolve(request, error=CaptionsUnavailable(f"could not queue the tail: {exc}"))

    def _receive_loop(self) -> None:
        while not self._closed.is_set():
            self._refresh_workers()
            try:
                reply = self._redis.blpop([self.reply_key], timeout=1)
            except Exception:  # noqa: BLE001
                log.warning("caption pool: reply read failed", exc_info=True)
                time.sleep(1)
                reply = None
            if reply is not None:
                message = json.loads(reply[1])
                self._note(message)
                if message.get("error"):
                    self._resolve(message["id"], error=CaptionsUnavailable(message["error"]))
                else:
                    self._resolve(message["id"], words=[Word.from_dict(w) for w in message["words"]])
            self._expire()

    def _note(self, message: dict[str, Any]) -> None:
        self.served_by[message.get("worker", "")] += 1
        if message.get("batch_id"):
            self.batches[message["batch_id"]] = message["batch"]
            if len(self.batches) > 1000:
                self.batches.pop(next(iter(self.batches)))

    def _resolve(self, request: str, *, words: list[Word] | None = None,
                 error: Exception | None = None) -> None:
        with self._lock:
            entry = self._pending.pop(request, None)
        if entry is None:
            return  # answered after its timeout: the stream has moved on
        future = entry[0]
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(words or [])

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.timeout_s
        with self._lock:
            late = [request for request, (_, sent) in self._pending.items() if sent < cutoff]
        for request in late:
            self._resolve(request, error=CaptionsUnavailable(f"no caption worker answered within {self.timeout_s} s"))

    def close(self) -> None:
        self._closed.set()
        self._outbox.put(None)


def caption_worker_run(*, redis_url: str, prefix: str, name: str, batch_max: int,
                       stop: threading.Event | None = None) -> None:
    """One caption worker: read every waiting tail (up to `batch_max`), decode them together, reply, repeat."""
    import redis

    from audio.transcription.whisper_local import caption_batch_decode, caption_decoder_warm

    stop = stop or threading.Event()
    client = redis.Redis.from_url(redis_url)
    stream_key, workers_key = _keys(prefix)
    try:
        client.xgroup_create(stream_key, GROUP, id="$", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
    caption_decoder_warm()
    log.info("caption worker %s reading %s", name, stream_key)
    while not stop.is_set():
        client.zadd(workers_key, {name: _redis_now(client)})
        _drop_abandoned(client, stream_key, name)
        read = client.xreadgroup(GROUP, name, {stream_key: ">"}, count=batch_max, block=1000)
        entries = read[0][1] if read else []
        if not entries:
            continue
        # Ages by Redis's clock (an entry id starts with its milliseconds): workers on other machines may disagree
        # with it, and with the daphne that sent the tail, by more than a tail's patience.
        now_ms = _redis_now(client) * 1000
        fresh = [(entry_id, fields) for entry_id, fields in entries
                 if now_ms - int(entry_id.split(b"-")[0]) <= STALE_S * 1000]
        replies: list[tuple[bytes, dict[str, Any]]] = []
        tails, asking = [], []
        for _, fields in fresh:
            try:
                tails.append(_tail_from(fields))
                asking.append(fields)
            except (KeyError, ValueError, UnicodeDecodeError) as exc:
                # A malformed entry (another version's sender, a hand-made XADD) costs only its own round: the
                # worker answers it with the error when it can, and goes on with the rest of the batch.
                log.warning("caption worker %s: malformed tail: %r", name, exc)
                if b"reply" in fields and b"id" in fields:
                    replies.append((fields[b"reply"], {"id": fields[b"id"].decode(errors="replace"), "worker": name,
                                                       "error": f"malformed tail: {exc!r}"}))
        if tails:
            batch_id = uuid.uuid4().hex
            try:
                results = caption_batch_decode(tails=tails)
                replies += [(fields[b"reply"], {"id": fields[b"id"].decode(), "worker": name, "batch": len(tails),
                                                "batch_id": batch_id, "words": [w.to_dict() for w in words]})
                            for fields, words in zip(asking, results, strict=True)]
            except Exception as exc:  # noqa: BLE001 - each asking stream skips this round, the worker goes on
                log.exception("caption worker %s: batch failed", name)
                replies += [(fields[b"reply"], {"id": fields[b"id"].decode(), "worker": name, "error": str(exc)})
                            for fields in asking]
        with client.pipeline() as pipe:
            for reply_key, message in replies:
                pipe.rpush(reply_key, json.dumps(message))
                pipe.expire(reply_key, REPLY_TTL_S)
            ids = [entry_id for entry_id, _ in entries]
            pipe.xack(stream_key, GROUP, *ids)
            pipe.xdel(stream_key, *ids)
            pipe.execute()
    client.zrem(workers_key, name)


def _tail_from(fields: dict[bytes, bytes]) -> CaptionTail:
    """A stream entry's fields as a tail to decode; KeyError/ValueError when the entry is not one."""
    from audio.transcription.whisper_local import CaptionTail, pcm16_to_float

    audio, offset = fields[b"audio"], float(fields[b"offset"])
    if not math.isfinite(offset) or offset < 0:
        raise ValueError(f"offset {offset}")
    fields[b"id"].decode(), fields[b"reply"]  # noqa: B018 - both are needed to answer, check them with the rest
    return CaptionTail(samples=pcm16_to_float(audio[: len(audio) // 2 * 2]), offset_s=offset,
                       prompt=fields[b"prompt"].decode())


def _redis_now(client: Any) -> float:
    seconds, microseconds = client.time()
    return seconds + microseconds / 1e6


def _drop_abandoned(client: Any, stream_key: str, name: str) -> None:
    """Entries a dead worker read but never acknowledged are stale by now: acknowledge and delete them."""
    claimed = client.xautoclaim(stream_key, GROUP, name, min_idle_time=int(STALE_S * 2000), count=100,
                                justid=True)
    ids = claimed[1] if len(claimed) > 1 else []
    if ids:
        client.xack(stream_key, GROUP, *ids)
        client.xdel(stream_key, *ids)
