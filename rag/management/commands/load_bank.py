"""`manage.py load_bank [--dir DIR] [--no-index] [--force-index]`: load rag/bank/*.json into the database.

Idempotent (setup runs it on every start): rows are matched by their stable id, unchanged rows are not written, and
the FAISS index is rebuilt only when what it embeds changed. Invalid files fail loudly with file and question id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rag.bank_loader import BankError


class Command(BaseCommand):
    help = "Load the question bank files (rag/bank/*.json) into the database and refresh the FAISS index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="bank folder (default: rag/bank)")
        parser.add_argument("--no-index", action="store_true", help="do not refresh the FAISS index")
        parser.add_argument("--force-index", action="store_true", help="rebuild the FAISS index even if unchanged")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.services import bank_index_refresh, bank_load

        try:
            result = bank_load(directory=options["dir"], rebuild_index=not options["no_index"])
        except BankError as exc:
            raise CommandError(str(exc)) from exc
        if options["force_index"] and not result.index_rebuilt:
            result.index_rebuilt = bank_index_refresh(force=True)
        if options["verbosity"]:
            self.stdout.write(result.summary())
