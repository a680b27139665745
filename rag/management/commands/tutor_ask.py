"""`manage.py tutor_ask "..." [--after "earlier question" ...] [--json]`: answer one question as the tutor page does
(rag/tutor.py). `--after` replays earlier turns of the conversation first, oldest first, so a follow-up such as
"the second one" or "and in Java?" resolves as on the page. `--evaluate FILE [--split S]` runs a labelled set
(tests/data/tutor/cases.jsonl) and prints right answers, right refusals, missed answers and wrong answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Ask the tutor one question (or evaluate it on a labelled set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question", nargs="?", default="")
        parser.add_argument("--after", action="append", default=[], metavar="QUESTION",
                            help="an earlier question of the same conversation (repeatable, oldest first)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--evaluate", metavar="FILE", help="a labelled set of tutor questions (JSON lines)")
        parser.add_argument("--split", choices=["tuning", "heldout", "all"], default="all")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.models import BankQuestion
        from rag.tutor import tutor_answer

        if not BankQuestion.objects.filter(is_active=True).exists():
            raise CommandError("The question bank is empty: run `manage.py load_bank` first.")
        if options["evaluate"]:
            self._evaluate(Path(options["evaluate"]), options["split"], as_json=options["json"])
            return
        history: list[dict[str, Any]] = []
        try:
            for earlier in options["after"]:
                history.append(tutor_answer(question=earlier, history=history))
            reply = tutor_answer(question=options["question"], history=history)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            out = {"answer": reply["answer"], "covered": reply["covered"], "sources": reply["sources"],
                   "key_points": reply["key_points"], "engine": reply["engine"], "intro": reply["intro"],
                   "resolved_query": reply["query"], "nearest": reply["nearest"]}
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
            return
        if reply["follow_up"]:
            self.stdout.write(f"(read as a follow-up: {reply['focus']})")
        if reply["intro"]:
            self.stdout.write(reply["intro"])
        self.stdout.write(reply["answer"])
        for point in reply["key_points"]:
            self.stdout.write(f"  - {point}")
        for source in reply["sources"]:
            self.stdout.write(f"source: [{source['ext_id']}] {source['question']} (match {source['similarity']})")

    def _evaluate(self, path: Path, split: str, *, as_json: bool) -> None:
        from rag.tutor_evaluation import tutor_cases_load, tutor_evaluate

        try:
            cases = tutor_cases_load(path=path, split=None if split == "all" else split)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        result = tutor_evaluate(cases=cases)
        if as_json:
            self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
            return
        for row in result["rows"]:
            if row["outcome"] not in ("right_answer", "right_refusal"):
                self.stdout.write(f"{row['outcome']:>13}  {row['id']}: {row['question']!r} -> "
                                  f"{row['got'] or 'refused'} (expected {row['expect'] or 'refusal'}, "
                                  f"score {row['score']}, margin {row['margin']}, missing {row['missing']})")
        counts = result["counts"]
        self.stdout.write(f"{split}: {result['n']} questions: {counts['right_answer']} right answers, "
                          f"{counts['right_refusal']} right refusals, {counts['missed']} refused though covered, "
                          f"{counts['wrong']} wrong answers ({100 * result['wrong_rate']:.1f}%)")
