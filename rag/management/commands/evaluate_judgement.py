"""`manage.py evaluate_judgement --split tuning|heldout [--approach judged] [--json] [--no-matching]`: judgement and
scoring on the labelled set (rag/evaluation.py): per-kind table, wrong and excellent means, pairs ordered within a
question, Spearman with the labels, covered/contradicted precision and recall, question matching on `asked`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

APPROACHES = ("judged", "embedding", "misconceptions", "lexical", "classifier", "judged+classifier", "baseline")


class Command(BaseCommand):
    help = "Evaluate judgement and scoring on the labelled set (tuning or heldout split)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--split", required=True, choices=("tuning", "heldout"))
        parser.add_argument("--approach", default="judged", choices=APPROACHES,
                            help="judged (shipped), embedding, misconceptions, lexical, classifier (one check), "
                                 "judged+classifier, baseline")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--no-matching", action="store_true", help="skip matching the `asked` paraphrases")
        parser.add_argument("--scores", action="store_true", help="with --json: every item's score")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.evaluation import bank_matcher, bank_questions, evaluate, split_read

        try:
            items = split_read(options["split"])
            questions = bank_questions()
            if not questions:
                raise CommandError("The question bank is empty: run `manage.py load_bank` first.")
            result = evaluate(items, questions=questions, approach=options["approach"], split=options["split"],
                              matcher=None if options["no_matching"] else bank_matcher)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(with_scores=options["scores"]), indent=2))
            return
        self.stdout.write(f"split {result.split}, approach {result.approach}, {result.n} answers")
        self.stdout.write(f"{'kind':<20} {'n':>4} {'mean':>6} {'min':>6} {'max':>6}")
        for kind, row in result.kinds.items():
            self.stdout.write(f"{kind:<20} {row['n']:>4} {row['mean']:>6.1f} {row['min']:>6.1f} {row['max']:>6.1f}")
        self.stdout.write(f"wrong mean {result.wrong_mean:.1f} (target <= 25), max {result.wrong_max:.1f} "
                          f"(target <= 40); excellent mean {result.excellent_mean:.1f} (target >= 80)")
        self.stdout.write(f"pairs ordered within a question: {result.pairs_ordered:.1%} of {result.pairs} "
                          f"(target >= 90%); Spearman with labels {result.spearman:.3f} (target >= 0.8)")
        for name in ("covered", "contradicted"):
            row = getattr(result, name)
            self.stdout.write(f"{name}: precision {row['precision']:.3f} recall {row['recall']:.3f} "
                              f"(tp {row['tp']}, fp {row['fp']}, fn {row['fn']})")
        if result.matching:
            m = result.matching
            self.stdout.write(f"question matching on `asked`: {m['accuracy']:.1%} of {m['n']}; confident "
                              f"{m['confident']}, of which right {m['confident_accuracy']:.1%}")
