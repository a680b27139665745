"""`manage.py calibrate_scoring [--json]`: the key-point threshold that best separates a reference answer's own key
points from other questions' key points, with its precision and recall (see rag/calibration.py)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Calibrate the key-point coverage threshold on the question bank."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from rag.calibration import keypoint_threshold_calibrate

        try:
            result = keypoint_threshold_calibrate()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        data = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        for key, value in data.items():
            self.stdout.write(f"{key}: {value}")
