"""`manage.py train_contradiction [--check]`: build the contradiction pair classifier (rag/contradiction.py) from the
bank's own pairs into rag/models_data/contradiction.npz; `--check` rebuilds it and compares with the committed file
instead of writing."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Train the contradiction pair classifier on the bank's entail/contradict/neutral pairs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true",
                            help="rebuild and compare with the committed file (exit 1 when it differs)")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.contradiction import (
            CLASSES,
            MODEL_PATH,
            bank_pairs,
            classifier_read,
            classifier_save,
            classifier_train,
        )

        pairs = bank_pairs()
        counts = {name: int((pairs.labels == k).sum()) for k, name in enumerate(CLASSES)}
        self.stdout.write(f"pairs: {len(pairs.labels)} {counts}")
        classifier = classifier_train(pairs=pairs)
        if options["check"]:
            try:
                committed = classifier_read()
            except (FileNotFoundError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            diff = max(float(np.abs(getattr(classifier, f).astype(np.float32) - getattr(committed, f)).max())
                       for f in ("weights", "bias", "mean", "scale"))
            self.stdout.write(f"largest difference from {MODEL_PATH.name}: {diff:.2e}")
            if diff > 1e-6:
                raise CommandError(f"{MODEL_PATH} differs from a fresh build by {diff:.2e}: rerun the command")
            return
        path = classifier_save(classifier=classifier)
        self.stdout.write(f"wrote {path}")
