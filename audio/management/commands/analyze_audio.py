"""`manage.py analyze_audio FILE [--json] [--transcribe]`: the live signal analyzer over a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audio.dsp.files import AudioReadError, analyze_pcm, flat_report, load_mono_16k, to_pcm16

LABELS = [
    ("duration_s", "Duration", "s"), ("speaking_time_s", "Speaking time", "s"), ("voiced_fraction", "Voiced", ""),
    ("pitch_median_hz", "Pitch median", "Hz"), ("pitch_std_st", "Pitch spread (std)", "st"),
    ("pitch_range_st", "Pitch range (5-95 %)", "st"), ("monotone", "Monotone", ""),
    ("loudness_mean_dbfs", "Loudness mean", "dBFS"), ("loudness_std_db", "Loudness variation", "dB"),
    ("jitter_local", "Jitter (local)", ""), ("shimmer_local", "Shimmer (local)", ""),
    ("pause_count", "Pauses (>= 0.3 s)", ""), ("pauses_over_1s", "Pauses over 1 s", ""),
    ("longest_pause_s", "Longest pause", "s"), ("pause_total_s", "Pause total", "s"),
    ("clipping_fraction", "Clipping", ""),
]


class Command(BaseCommand):
    help = "Measure delivery (pitch, loudness, pauses, jitter, shimmer) of an audio file with the live analyzer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="print one flat JSON object")
        parser.add_argument("--transcribe", action="store_true", help="also transcribe with local whisper")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            pcm = to_pcm16(load_mono_16k(path))
        except AudioReadError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        aggregates = analyze_pcm(pcm)
        report = flat_report(aggregates)
        if options["transcribe"]:
            report.update(self._transcribe(pcm, aggregates))
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        for key, label, unit in LABELS:
            value = report.get(key)
            shown = "-" if value is None else f"{value} {unit}".strip()
            self.stdout.write(f"{label:<22} {shown}")
        if options["transcribe"]:
            for key, label in (("wpm", "Pace (words/min)"), ("articulation_wpm", "Articulation rate"),
                               ("filler_count", "Fillers")):
                self.stdout.write(f"{label:<22} {'-' if report.get(key) is None else report[key]}")
            self.stdout.write(f"{'Transcript':<22} {report.get('transcript') or '-'}")

    def _transcribe(self, pcm: bytes, aggregates: dict[str, Any]) -> dict[str, Any]:
        """Words, pace and fillers, with the pauses the analyzer found aligned to the words."""
        import tempfile

        from audio.transcription.report import file_transcript_report

        # Any input format was decoded to 16 kHz mono above; whisper reads that same audio as raw PCM.
        with tempfile.NamedTemporaryFile(suffix=".pcm") as handle:
            handle.write(pcm)
            handle.flush()
            words = file_transcript_report(Path(handle.name), duration_s=aggregates["duration_s"],
                                           speaking_time_s=aggregates["speaking_time_s"],
                                           pauses=aggregates["pauses"])
        return {key: words[key] for key in ("transcript", "wpm", "articulation_wpm", "filler_count", "fillers",
                                            "hedges", "engine", "words")}
