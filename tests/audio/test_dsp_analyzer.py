"""The streaming analyzer: pauses, chunking invariance, snapshots, bounded memory, bad input (pure)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from audio.dsp import StreamingAnalyzer
from audio.dsp.analyzer import BLOCK, CONTOUR_POINTS, MARK_BATCH
from tests.helpers import silence, speech_with_pauses, to_pcm16, vowel

SR = 16000


def analyze(pcm: bytes, chunk: int | list[int] = 4096) -> dict:
    analyzer = StreamingAnalyzer(sample_rate=SR)
    sizes = chunk if isinstance(chunk, list) else [chunk]
    i = k = 0
    while i < len(pcm):
        size = sizes[k % len(sizes)]
        analyzer.feed(pcm[i:i + size])
        i += size
        k += 1
    return analyzer.finish()


def no_nan(value) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for v in value.values():
            no_nan(v)
    elif isinstance(value, list):
        for v in value:
            no_nan(v)


@pytest.mark.parametrize("gap, expected", [(0.25, 0), (0.29, 0), (0.31, 1), (0.5, 1), (2.5, 1)])
def test_pause_threshold_is_300_ms_between_speech(gap, expected):
    result = analyze(to_pcm16(speech_with_pauses([("pause", 0.6), ("speech", 1.0), ("pause", gap), ("speech", 1.0),
                                                  ("pause", 0.9)])))
    assert result["pause_count"] == expected
    if expected:
        (pause,) = result["pauses"]
        assert pause["start"] == pytest.approx(1.6, abs=0.05)  # positions in the audio, not arrival times
        assert pause["duration"] == pytest.approx(gap, abs=0.05)
        assert result["longest_pause_s"] == pytest.approx(gap, abs=0.05)
        assert result["long_pause_count"] == (1 if gap >= 2.0 else 0)
    else:
        assert result["pauses"] == [] and result["pause_total_s"] == 0.0


def test_leading_and_trailing_silence_are_not_pauses():
    result = analyze(to_pcm16(speech_with_pauses([("pause", 3.0), ("speech", 1.5), ("pause", 4.0)])))
    assert result["pause_count"] == 0 and result["longest_pause_s"] == 0.0
    assert result["speaking_time_s"] == pytest.approx(1.5, abs=0.05)
    assert result["silence_fraction"] == pytest.approx(7.0 / 8.5, abs=0.01)


def test_consumer_scenario_counts_the_inner_gap_exactly():
    pcm = to_pcm16(speech_with_pauses([("pause", 0.5), ("speech", 1.5), ("pause", 0.8), ("speech", 1.5),
                                       ("pause", 0.4)]))
    result = analyze(pcm)
    assert result["duration_s"] == pytest.approx(len(pcm) / 32000, abs=0.001)
    assert result["pause_count"] == 1
    assert result["pauses"][0]["duration"] == pytest.approx(0.8, abs=0.01)
    assert result["pause_total_s"] == pytest.approx(0.8, abs=0.01)
    assert result["speaking_time_s"] == pytest.approx(3.0, abs=0.03)
    assert result["pitch_median_hz"] == pytest.approx(125, rel=0.05)
    assert result["voiced_fraction"] > 0.9
    assert result["monotone"] is True  # two steady vowels, ~0.5 semitone apart


def test_several_pauses_found_within_50_ms():
    plan = [("pause", 0.4), ("speech", 0.8), ("pause", 0.35), ("speech", 0.6), ("pause", 1.2), ("speech", 0.7),
            ("pause", 2.2), ("speech", 0.5), ("pause", 0.3)]
    result = analyze(to_pcm16(speech_with_pauses(plan)))
    expected = [0.35, 1.2, 2.2]
    assert [p["duration"] for p in result["pauses"]] == pytest.approx(expected, abs=0.05)
    assert result["pauses_over_1s"] == 2 and result["long_pause_count"] == 1
    assert result["pause_total_s"] == pytest.approx(sum(expected), abs=0.1)


def test_chunk_size_does_not_change_anything():
    pcm = to_pcm16(speech_with_pauses([("pause", 0.3), ("speech", 1.2), ("pause", 0.5), ("speech", 0.9),
                                       ("pause", 0.2)]))
    reference = analyze(pcm, 4096)
    assert analyze(pcm, 32000) == reference
    assert analyze(pcm, [1, 4097, 3, 999]) == reference  # odd sizes: samples split across frames
    assert analyze(pcm, len(pcm)) == reference


def test_results_are_plain_json_without_nan():
    pcm = to_pcm16(speech_with_pauses([("pause", 0.5), ("speech", 1.0), ("pause", 0.5), ("speech", 1.0)]))
    analyzer = StreamingAnalyzer(sample_rate=SR)
    snapshots = []
    for i in range(0, len(pcm), 4096):
        analyzer.feed(pcm[i:i + 4096])
        snapshots.append(analyzer.snapshot())
    result = analyzer.finish()
    json.dumps(snapshots, allow_nan=False)
    json.dumps(result, allow_nan=False)
    no_nan(result)
    last = snapshots[-1]
    assert {"t", "loudness_dbfs", "pitch_hz", "voiced", "in_pause", "pause_count", "speaking_time_s",
            "duration_s"} <= set(last)
    assert last["t"] == pytest.approx(len(pcm) / 32000)
    assert any(s["voiced"] and s["pitch_hz"] for s in snapshots)
    assert any(s["in_pause"] for s in snapshots)  # during the 0.5 s gap
    assert snapshots[-1]["pause_count"] == 1
    contour = result["contour"]
    assert len(contour["t"]) == len(contour["pitch_hz"]) == len(contour["dbfs"]) > 0
    assert analyzer.finish() is result  # idempotent
    with pytest.raises(RuntimeError):
        analyzer.feed(b"\x00\x00")


def test_silence_only_and_empty_streams():
    empty = StreamingAnalyzer(sample_rate=SR)
    empty.feed(b"")
    result = empty.finish()
    assert result["duration_s"] == 0 and result["pause_count"] == 0 and result["pitch_median_hz"] is None
    assert result["jitter_local"] is None and result["voiced_fraction"] is None
    json.dumps(result, allow_nan=False)
    quiet = analyze(to_pcm16(silence(2.0)))
    assert quiet["speaking_time_s"] == 0 and quiet["pitch_median_hz"] is None and quiet["monotone"] is None
    assert quiet["loudness_mean_dbfs"] is None


def test_bad_input():
    analyzer = StreamingAnalyzer(sample_rate=SR)
    for bad in ("abc", 12, None, np.zeros(10, dtype=np.int16), [0, 1]):
        with pytest.raises(TypeError):
            analyzer.feed(bad)
    with pytest.raises(ValueError):
        StreamingAnalyzer(sample_rate=44100)
    analyzer.feed(b"\x01")  # a lone byte is kept, not an error
    assert analyzer.snapshot()["t"] == 0


def test_clipping_fraction():
    x = vowel(150, 1.0, amplitude=0.3)
    x[:1600] = 1.5  # 0.1 s driven into the rails
    result = analyze(to_pcm16(x))
    assert result["clipping_fraction"] == pytest.approx(0.1, abs=0.005)
    assert analyze(to_pcm16(vowel(150, 1.0)))["clipping_fraction"] == 0.0


def test_pitch_spread_and_range_in_semitones():
    low, high = vowel(110, 1.0, seed=1), vowel(220, 1.0, seed=2)  # an octave apart
    result = analyze(to_pcm16(np.concatenate([low, high])))
    assert result["pitch_range_st"] == pytest.approx(12.0, abs=1.0)
    assert result["pitch_std_st"] == pytest.approx(6.0, abs=0.6)
    assert result["monotone"] is False


def test_ten_minute_stream_keeps_buffers_bounded():
    block = to_pcm16(speech_with_pauses([("speech", 2.0), ("pause", 0.5), ("speech", 1.5), ("pause", 1.0)]))
    analyzer = StreamingAnalyzer(sample_rate=SR)
    sizes = []
    total = 0
    while total < 600 * 32000:
        for i in range(0, len(block), 32000):
            analyzer.feed(block[i:i + 32000])
        total += len(block)
        sizes.append(analyzer.buffer_sizes())
    # The largest feed (16000 samples) + the voiced audio waiting for the mark pass (MARK_BATCH) + history.
    assert max(s["samples"] for s in sizes) <= 16000 + MARK_BATCH + 3 * BLOCK
    assert max(s["contour"] for s in sizes) <= CONTOUR_POINTS
    assert max(s["marks_tail"] for s in sizes) <= 3
    result = analyzer.finish()
    assert result["duration_s"] == pytest.approx(total / 32000, abs=0.01)
    assert CONTOUR_POINTS // 2 <= len(result["contour"]["t"]) <= CONTOUR_POINTS
    assert result["pause_count"] == pytest.approx(2 * total / len(block) - 1, abs=1)


def test_deferred_mark_passes_do_not_depend_on_chunking():
    # 3 s of unbroken voicing: several mark passes (one per MARK_BATCH), each continuing the previous chain.
    pcm = to_pcm16(np.concatenate([silence(0.2), vowel(140, 3.0, seed=5), silence(0.3)]))
    reference = analyze(pcm, 4096)
    assert reference["glottal_marks"] == pytest.approx(3.0 * 140, rel=0.03)
    assert analyze(pcm, 32000) == reference
    assert analyze(pcm, [1, 5001, 4095]) == reference


def test_short_answer_gets_its_marks_at_finish():
    # Shorter than one mark batch: nothing is analysed for jitter until finish() flushes the pending slots.
    analyzer = StreamingAnalyzer(sample_rate=SR)
    analyzer.feed(to_pcm16(vowel(150, 0.4)))
    assert analyzer.perturbation.mark_count == 0
    result = analyzer.finish()
    assert result["glottal_marks"] == pytest.approx(0.4 * 150, abs=4)
    assert result["jitter_local"] is not None and result["jitter_local"] < 0.01


def test_snapshot_is_current_while_marks_wait():
    low, high = vowel(110, 1.0, seed=1), vowel(220, 1.0, seed=2)
    analyzer = StreamingAnalyzer(sample_rate=SR)
    pcm = to_pcm16(np.concatenate([low, high]))
    half = len(pcm) // 2
    analyzer.feed(pcm[:half])
    assert analyzer.snapshot()["pitch_hz"] == pytest.approx(110, rel=0.03)
    analyzer.feed(pcm[half:half + 8192])  # 256 ms into the higher vowel
    snap = analyzer.snapshot()
    assert snap["voiced"] and snap["pitch_hz"] == pytest.approx(220, rel=0.03)
