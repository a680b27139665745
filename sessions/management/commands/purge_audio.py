"""`manage.py purge_audio [--days N] [--dry-run]`: delete the audio (raw and compressed) of answers older than N
days (default AUDIO_RETENTION_DAYS), keeping transcripts, measurements and scores. Safe to run from cron as often
as wanted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Delete answer audio (raw and compressed) older than N days (default AUDIO_RETENTION_DAYS); keep the rest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help=f"age in days (default AUDIO_RETENTION_DAYS={settings.AUDIO_RETENTION_DAYS})")
        parser.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")

    def handle(self, *args: Any, days: int | None, dry_run: bool, **options: Any) -> None:
        from sessions.services import answer_audio_purge

        if days is not None and days < 0:
            raise CommandError("--days must be zero or more")
        count = answer_audio_purge(older_than_days=days, dry_run=dry_run)
        age = settings.AUDIO_RETENTION_DAYS if days is None else days
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} the audio of {count} answer(s) older than {age} day(s)")
