"""`manage.py score_answer --question "..." --answer "..." [--json] [--allow-low-confidence]`: judge and score an
answer against the bank question the free-text question asks (rag/matching.py). A low-confidence match is refused
with a clear message and a non-zero exit, or with --allow-low-confidence scored and flagged."""

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
        parser.add_argument("--allow-low-confidence", action="store_true",
                            help="score against the best bank match even when it is not a confident match")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.selectors import QuestionMatchError, answer_score_free

        if not options["question"].strip():
            raise CommandError("--question is empty")
        try:
            result = answer_score_free(question=options["question"], answer=options["answer"],
                                       allow_low_confidence=options["allow_low_confidence"])
        except QuestionMatchError as exc:
            raise CommandError(str(exc)) from exc
        if result is None:
            raise CommandError("The question bank is empty: run `manage.py load_bank` first.")
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
            return
        flag = "" if result["match_confident"] else "  LOW CONFIDENCE: check this is the question you meant"
        self.stdout.write(f"matched_question: [{result['matched_id']}] {result['matched_question']} "
                          f"(match {result['match_similarity']:.2f}, margin {result['match_margin']:.2f}){flag}")
        self.stdout.write(f"similarity: {result['similarity']:.3f}")
        self.stdout.write(f"relevance: {result['relevance']:.2f}")
        self.stdout.write(f"content_score: {result['content_score']:.1f}")
        self.stdout.write("key_points_contradicted:")
        for item in result["key_points_contradicted"]:
            self.stdout.write(f"  x {item['point']}  <- \"{item['sentence']}\"  correction: {item['correction']}")
        self.stdout.write("key_points_covered:")
        for item in result["key_points_covered"]:
            self.stdout.write(f"  + {item['point']}  <- \"{item['sentence']}\" ({item['similarity']:.2f})")
        self.stdout.write("key_points_missed:")
        for item in result["key_points_missed"]:
            self.stdout.write(f"  - {item['point']} (best {item['similarity']:.2f})")
        if result["red_flags"]:
            self.stdout.write("red_flags:")
            for flag_item in result["red_flags"]:
                self.stdout.write(f"  ! [{flag_item['severity']}] {flag_item['code']}: {flag_item['message']}")
