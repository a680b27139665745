"""`manage.py score_answer --question "..." --answer "..." [--json]`: score an answer against the nearest bank
question (found by FAISS over the bank's question texts)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Score an answer against the bank question nearest to --question."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--question", required=True)
        parser.add_argument("--answer", required=True)
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.selectors import answer_score_free

        if not options["question"].strip():
            raise CommandError("--question is empty")
        result = answer_score_free(question=options["question"], answer=options["answer"])
        if result is None:
            raise CommandError("The question bank is empty: run `manage.py load_bank` first.")
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"matched_question: [{result['matched_id']}] {result['matched_question']} "
                          f"(match {result['match_similarity']:.2f})")
        self.stdout.write(f"similarity: {result['similarity']:.3f}")
        self.stdout.write(f"content_score: {result['content_score']:.1f}")
        self.stdout.write("key_points_covered:")
        for item in result["key_points_covered"]:
            self.stdout.write(f"  + {item['point']}  <- \"{item['sentence']}\" ({item['similarity']:.2f})")
        self.stdout.write("key_points_missed:")
        for item in result["key_points_missed"]:
            self.stdout.write(f"  - {item['point']} (best {item['similarity']:.2f})")
