"""`manage.py followup_table [--file F] [--json]`: the follow-up decision on each written answer, scored through the
real pipeline scorer (kind -> score -> decision -> question asked). Nothing is stored.

`--fit tuning|heldout` and `--disguised tuning|heldout` print the figures behind the rule's two thresholds
(rag/followup_evaluation.py; docs/followups.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Score the written answers and print each follow-up decision."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=None, help="a JSONL of {id, kind, question, answer}")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--fit", choices=("tuning", "heldout"), help="evaluate the follow-up fit rule")
        parser.add_argument("--disguised", choices=("tuning", "heldout", "blind"),
                            help="evaluate the disguised-strength detector (blind: written without the code)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["fit"]:
            from rag.followup_evaluation import fit_evaluate

            total, kept, right = fit_evaluate(split=options["fit"])
            self.stdout.write(f"fit {options['fit']}: {total} bank probes, {kept} fitted to a point "
                              f"({kept / max(1, total):.0%}), precision {right / max(1, kept):.2f}")
            return
        if options["disguised"]:
            from rag.followup_evaluation import disguised_evaluate

            counts, wrong = disguised_evaluate(split=options["disguised"])
            self.stdout.write(f"disguised {options['disguised']}: precision {counts.precision:.2f} recall "
                              f"{counts.recall:.2f} (tp {counts.tp}, fp {counts.fp}, fn {counts.fn}, tn {counts.tn})")
            for line in wrong:
                self.stdout.write(f"  {line}")
            return
        from rag.models import BankQuestion
        from sessions.followup_table import ANSWERS, TableError, answers_read, followup_table_run

        if not BankQuestion.objects.exists():
            raise CommandError("The question bank is empty: run `manage.py load_bank` first.")
        path = options["file"] or ANSWERS
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            rows = followup_table_run(rows=answers_read(path))
        except TableError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            for row in rows:
                self.stdout.write(json.dumps({k: v for k, v in asdict(row).items() if k != "key_points"}))
            return
        self.stdout.write("| id | kind | score | flags | decision | question asked |")
        self.stdout.write("| --- | --- | --- | --- | --- | --- |")
        for row in rows:
            decision = row.action + (f" ({row.rule})" if row.rule else "")
            self.stdout.write(f"| {row.id} | {row.kind} | {row.score:.0f} | {', '.join(row.flags) or '-'} | "
                              f"{decision} | {row.asked or '-'} |")
