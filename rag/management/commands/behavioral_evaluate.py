"""Precision and recall of the behavioral red flags on a labelled set (tests/data/judgement/*.jsonl).

    manage.py behavioral_evaluate --set tuning     # what the thresholds in rag/behavioral.py were tuned on
    manage.py behavioral_evaluate --set heldout    # the evaluation: never tuned on

Reads the behavioral lines (question ids of behavioral topics), judges each with `behavioral_judge` against the
bank question's rubric, and prints per flag: true/false positives, false negatives, precision and recall; then every
line whose flags differ from its labels (with --verbose, the reading behind each).

With --feedback it also checks the feedback's evidence on every line of the set (technical ones too): each answer
is judged and graded (rag/grading.py), the offline coach writes its feedback, and every "you made this point when
you said X" is checked against the judge's verdict (is the point `covered`, by sentence X?) and against the labels
(is the point among the line's labelled covered points?).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FLAGS = ("blame", "no_result", "we_only", "disguised_strength", "off_question", "vague")


class Command(BaseCommand):
    help = "Red-flag precision/recall of the behavioral judge on a labelled set."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--set", default="heldout", choices=("tuning", "heldout"))
        parser.add_argument("--path", default="", help="a .jsonl file instead of tests/data/judgement/<set>.jsonl")
        parser.add_argument("--verbose", action="store_true")
        parser.add_argument("--feedback", action="store_true", help="also check the feedback's quoted evidence")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        from rag.bank_loader import bank_read
        from rag.behavioral import behavioral_judge, behavioral_read

        path = Path(options["path"] or Path(settings.BASE_DIR) / "tests" / "data" / "judgement"
                    / f"{options['set']}.jsonl")
        if not path.is_file():
            raise CommandError(f"no labelled set at {path}")
        bank = {item.ext_id: (bank_file.topic.kind, item) for bank_file in bank_read() for item in bank_file.items}
        rows = []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise CommandError(f"{path.name}:{number}: not JSON ({exc})") from exc
            kind, item = bank.get(row.get("question_id"), (None, None))
            if kind == "behavioral":
                rows.append((row, item))
        if not rows:
            raise CommandError(f"{path.name}: no behavioral lines")
        counts = {flag: [0, 0, 0] for flag in FLAGS}  # tp, fp, fn
        wrong = []
        for row, item in rows:
            question = row.get("asked") or item.text
            judgement = behavioral_judge(question=question, key_points=list(item.key_points), answer=row["answer"],
                                         misconceptions=[m.__dict__ for m in item.misconceptions])
            found = {f.code for f in judgement.red_flags}
            labelled = {f if isinstance(f, str) else f.get("code") for f in row.get("red_flags") or []}
            for flag in FLAGS:
                counts[flag][0] += flag in found and flag in labelled
                counts[flag][1] += flag in found and flag not in labelled
                counts[flag][2] += flag not in found and flag in labelled
            if found != labelled:
                reading = behavioral_read(question=question, answer=row["answer"], key_points=item.key_points)[2]
                wrong.append((row["id"], row.get("kind"), sorted(labelled), sorted(found), reading))
        self.stdout.write(f"{path.name}: {len(rows)} behavioral answers")
        self.stdout.write(f"{'flag':20} {'tp':>3} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>6}")
        for flag, (tp, fp, fn) in counts.items():
            precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
            recall = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
            self.stdout.write(f"{flag:20} {tp:>3} {fp:>3} {fn:>3} {precision:>9} {recall:>6}")
        exact = len(rows) - len(wrong)
        self.stdout.write(f"answers whose flags match their labels exactly: {exact}/{len(rows)}")
        for ident, kind, labelled, found, reading in wrong:
            self.stdout.write(f"  {ident} ({kind}): labelled {labelled}, found {found}")
            if options["verbose"]:
                self.stdout.write(f"      {reading}")
        if options["feedback"]:
            self._feedback(path, bank, verbose=options["verbose"])

    def _feedback(self, path: Path, bank: dict, *, verbose: bool) -> None:
        from rag.feedback.coach import CoachInput, coach_feedback
        from rag.grading import answer_grade

        quotes = not_covered = not_labelled = incorrect_lines = lines = 0
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            kind, item = bank.get(row.get("question_id"), (None, None))
            if item is None:
                continue
            lines += 1
            question = row.get("asked") or item.text
            graded = answer_grade(question=question, answer=row["answer"], reference_answer=item.reference_answer,
                                  key_points=list(item.key_points), misconceptions=list(item.misconceptions),
                                  behavioral=kind == "behavioral")
            covered = {c["point"]: c["sentence"] for c in graded.key_points_covered}
            feedback = coach_feedback(CoachInput(
                question=question, topic_kind=kind, reference_answer=item.reference_answer,
                key_points=tuple(item.key_points), transcript=row["answer"], input_mode="text", signal={},
                delivery={}, content_score=graded.content_score, similarity=graded.similarity,
                covered=tuple((c["point"], c["sentence"]) for c in graded.key_points_covered),
                missed=tuple(m["point"] for m in graded.key_points_missed), transcript_confidence=None,
                contradicted=tuple(graded.key_points_contradicted), relevance=graded.relevance,
                red_flags=tuple(graded.red_flags)))
            incorrect_lines += bool(feedback.incorrect)
            labelled = set(row.get("covered") or [])
            for strength in feedback.strengths:
                if strength.category != "key_points" or "when you said" not in strength.detail:
                    continue
                point = strength.title.removeprefix("Covered: ").rstrip("…")
                match = next((p for p in covered if p.startswith(point)), None)
                quotes += 1
                quoted = strength.evidence[0].text.rstrip("…") if strength.evidence else ""
                if match is None or not covered[match].startswith(quoted):
                    not_covered += 1
                if match is None or match not in labelled:
                    not_labelled += 1
                    if verbose:
                        self.stdout.write(f"  {row['id']} ({row.get('kind')}): quoted for {point!r}: {quoted!r}")
        self.stdout.write(f"feedback on {lines} answers: {quotes} 'you made this point when you said' quotes; "
                          f"{not_covered} for a point the judge did not find covered by that sentence; "
                          f"{not_labelled} for a point the labels do not list as covered "
                          f"(precision against the labels {1 - not_labelled / max(1, quotes):.2f}); "
                          f"{incorrect_lines} answers with an Incorrect section")
