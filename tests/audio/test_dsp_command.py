"""`manage.py analyze_audio` on generated files (needs Django for call_command; no database)."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest
import soundfile
from django.core.management import CommandError, call_command

from tests.helpers import speech_with_pauses


def run(*args: str) -> str:
    out = StringIO()
    call_command("analyze_audio", *args, stdout=out)
    return out.getvalue()


def test_json_output_of_a_44k_stereo_wav(tmp_path):
    mono = speech_with_pauses([("pause", 0.5), ("speech", 1.2), ("pause", 0.7), ("speech", 1.0), ("pause", 0.3)])
    from scipy.signal import resample_poly

    at_44k = resample_poly(mono, 441, 160)
    path = tmp_path / "answer.wav"
    soundfile.write(path, np.stack([at_44k, at_44k], axis=1), 44100)  # any rate and channel count
    report = json.loads(run(str(path), "--json"))
    for key in ("duration_s", "speaking_time_s", "voiced_fraction", "pitch_median_hz", "pitch_std_st",
                "pitch_range_st", "monotone", "jitter_local", "shimmer_local", "loudness_mean_dbfs",
                "loudness_std_db", "pause_count", "pauses_over_1s", "longest_pause_s", "pause_total_s"):
        assert key in report
    # One name per measurement: none of the old aliases next to the analyzer's names.
    assert not {"voiced_ratio", "pitch_stdev_st", "loudness_dbfs_mean", "loudness_dbfs_stdev"} & set(report)
    assert report["duration_s"] == pytest.approx(3.7, abs=0.01)
    assert report["pause_count"] == 1
    assert report["longest_pause_s"] == pytest.approx(0.7, abs=0.05)
    assert report["pitch_median_hz"] == pytest.approx(125, rel=0.06)


def test_flac_and_readable_summary(tmp_path):
    path = tmp_path / "answer.flac"
    soundfile.write(path, speech_with_pauses([("speech", 1.0), ("pause", 0.5), ("speech", 1.0)]), 16000)
    text = run(str(path))
    assert "Pitch median" in text
    assert any(line.split()[-1] == "1" for line in text.splitlines() if line.startswith("Pauses (>= 0.3 s)"))


def test_missing_and_unreadable_files_exit_2(tmp_path):
    with pytest.raises(CommandError) as missing:
        run(str(tmp_path / "nope.wav"))
    assert missing.value.returncode == 2 and "no such file" in str(missing.value)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"this is not audio" * 10)
    with pytest.raises(CommandError) as unreadable:
        run(str(garbage))
    assert unreadable.value.returncode == 2


@pytest.mark.slow
def test_transcribe_adds_words_pace_and_fillers_for_any_format(speech_dir, tmp_path):
    """jfk.wav re-encoded as 44.1 kHz FLAC: decoded once, measured and transcribed from the same samples."""
    data, rate = soundfile.read(str(speech_dir / "jfk.wav"))
    from scipy.signal import resample_poly

    path = tmp_path / "jfk.flac"
    soundfile.write(path, resample_poly(data, 441, 160), 44100)
    report = json.loads(run(str(path), "--json", "--transcribe"))
    assert "country" in report["transcript"].lower()
    assert report["engine"] == "whisper-tiny.en" and report["words"][0]["start"] < report["words"][-1]["end"]
    assert 60 < report["wpm"] < 250 and report["articulation_wpm"] >= report["wpm"]
    assert report["duration_s"] == pytest.approx(len(data) / rate, abs=0.05)
