"""`manage.py caption_worker [--name N] [--batch-max B]`: one live-caption worker of the distributed mode.

Run one per core (each decodes on `LIVE_CAPTION_CPU_THREADS`, default 1), on any machine that reaches
`REDIS_URL`; daphne processes with `LIVE_CAPTION_BACKEND=redis` send it their streams' tails
(audio/transcription/caption_pool.py). SIGTERM or Ctrl-C finishes the batch in hand and stops.
"""

from __future__ import annotations

import signal
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Decode live-caption tails from Redis in batches (distributed mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="", help="worker name (default: host and pid)")
        parser.add_argument("--batch-max", type=int, default=0,
                            help="tails per batched decode (default: LIVE_CAPTION_BATCH_MAX)")

    def handle(self, *args: Any, **options: Any) -> None:
        import os

        from audio.transcription.caption_pool import caption_worker_run

        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set: caption workers serve the distributed mode only", returncode=2)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        name = options["name"] or f"{socket.gethostname()}-{os.getpid()}"
        self.stdout.write(f"caption worker {name} on {settings.REDIS_URL}", ending="\n")
        self.stdout.flush()
        caption_worker_run(redis_url=settings.REDIS_URL, prefix=settings.LIVE_CAPTION_QUEUE_PREFIX, name=name,
                           batch_max=options["batch_max"] or settings.LIVE_CAPTION_BATCH_MAX, stop=stop)
