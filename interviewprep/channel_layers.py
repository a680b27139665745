"""The Redis channel layer, made to ride out a Redis restart.

channels-redis lets a lost connection escape from `receive()`; Channels runs that receive next to the socket's
own messages (`await_many_dispatch`), so one Redis blip killed every interview socket of the process with a 1011
close, mid-answer (found by tests/reliability/test_distributed_faults.py). Here the background receive waits and
reconnects instead, and leaving a group during an outage is skipped (membership expires on its own), so a
disconnect handler still gets to close the answer's audio file. Sends still raise: their callers (tasks) retry,
and pages poll, since the layer delivers at most once anyway.

Named like its parent so /healthz keeps reporting `RedisChannelLayer`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer as _BaseRedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

_OUTAGE = (RedisConnectionError, ConnectionError, OSError)
_MAX_BACKOFF_S = 2.0


class RedisChannelLayer(_BaseRedisChannelLayer):
    async def receive_single(self, channel: str) -> Any:
        delay = 0.1
        while True:
            try:
                return await super().receive_single(channel)
            except RedisTimeoutError:
                # After a reconnect redis-py may time a blocking pop out instead of returning nothing: an empty
                # poll, not an outage; the message (if any) is still in Redis for the next pop.
                continue
            except _OUTAGE as exc:
                # Cancellation (the socket closing) is a BaseException and still ends the wait at once.
                log.warning("channel layer: Redis unreachable (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_BACKOFF_S)

    async def group_discard(self, group: str, channel: str) -> None:
        try:
            await super().group_discard(group, channel)
        except _OUTAGE as exc:
            log.warning("channel layer: could not leave %s during a Redis outage (%s); it expires", group, exc)
