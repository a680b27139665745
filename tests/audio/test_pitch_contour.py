"""The stored pitch contour: octave jumps folded back, outliers dropped, real intonation kept, chart axes robust."""

from __future__ import annotations

import re

import numpy as np
import pytest

from audio.dsp.contour import clean_contour
from audio.dsp.files import analyze_pcm
from tests.helpers import to_pcm16, vowel


def test_octave_errors_fold_and_wild_points_drop():
    contour = [100.0] * 20 + [200.0, 50.0, 430.0] + [None, None] + [100.0] * 20
    cleaned = clean_contour(contour)
    assert cleaned[20] == pytest.approx(100.0) and cleaned[21] == pytest.approx(100.0)
    assert cleaned[22] is None  # two octaves up: not a plausible voice movement
    assert cleaned[23:25] == [None, None] and cleaned[:20] == contour[:20]


def test_intonation_that_moves_smoothly_is_kept():
    rise = [100.0 * 2 ** (k / 60) for k in range(90)]  # 100 -> 280 Hz over 90 frames: a question's rise
    assert clean_contour(rise) == [round(f, 1) for f in rise]


def test_one_octave_spike_does_not_squash_a_100_hz_voice():
    # 100 Hz voice with 80 ms at 410 Hz in the middle (a tracker's spike, or a squeak).
    audio = np.concatenate([vowel(100, 1.5, seed=1), vowel(410, 0.08, seed=2), vowel(100, 1.5, seed=3)])
    aggregates = analyze_pcm(to_pcm16(audio))
    pitch = [f for f in aggregates["contour"]["pitch_hz"] if f is not None]
    assert len(pitch) > 100
    assert max(pitch) < 130 and np.median(pitch) == pytest.approx(100, rel=0.05)

    from interviewprep.charts import pitch_chart

    svg = str(pitch_chart(contour=aggregates["contour"], duration=aggregates["duration_s"]))
    # Axis labels in Hz: the top of the axis stays near the voice, not at 400+.
    labels = [float(v) for v in re.findall(r"text-anchor=\"end\"[^>]*>(\d+(?:\.\d+)?)<", svg)]
    assert labels and max(labels) < 150


def test_chart_axes_ignore_a_stray_point_in_the_stored_contour():
    from interviewprep.charts import pitch_chart

    t = [round(0.016 * k, 3) for k in range(200)]
    pitch = [100.0 + 5 * np.sin(k / 10) for k in range(200)]
    pitch[100] = 450.0  # stored before the contour was cleaned
    svg = str(pitch_chart(contour={"t": t, "pitch_hz": pitch, "dbfs": [-20.0] * 200}, duration=3.2))
    labels = [float(v) for v in re.findall(r"text-anchor=\"end\"[^>]*>(\d+(?:\.\d+)?)<", svg)]
    assert labels and max(labels) < 150
