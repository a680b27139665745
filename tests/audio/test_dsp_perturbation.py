"""Jitter (local) and shimmer (local) against Praat (parselmouth), on vowels with a known perturbation and on real
speech.

Synthetic vowels: Rosenberg glottal pulses whose closure instants carry Gaussian period perturbation and whose
amplitudes carry Gaussian amplitude perturbation, through three formant resonators. The issue asks for values
that rise with the perturbation and lie within 25 % of Praat's. Measured ours/Praat (audio/dsp/marks.py:
correlation windows centred on the cycles' largest extremum, Praat's 0.8-1.25 period search): jitter 0.99-1.01
up to 1 % at 100, 150 and 220 Hz, 0.93-1.01 at 2 %, 0.85-0.97 at 3 %; shimmer 0.996-1.003 at 3-12 %.

Real speech: our marks follow Praat's method but our voicing is YIN's, so the two differ on irregular stretches
(phrase ends, creak). Measured ours/Praat on harvard_spk1_1..5: jitter 0.99-1.56, shimmer 0.94-1.24; jfk.wav
(a noisy, reverberant 1961 recording) jitter 1.34, shimmer 0.98. The bounds below are those ranges plus a
margin: they catch a broken mark tracker (raw peak picking read 3-8x; windows centred off the extremum read up
to 2.6x jitter and 0.5x shimmer) without pretending to an agreement we lack.
"""

from __future__ import annotations

import numpy as np
import parselmouth  # Praat, the reference these tests validate against: a dev requirement, never skipped
import pytest
from parselmouth.praat import call
from scipy.signal import lfilter

from audio.dsp import StreamingAnalyzer
from tests.helpers import read_wav_pcm16, to_pcm16

SR = 16000


def perturbed_vowel(f0: float, seconds: float, *, jitter: float = 0.0, shimmer: float = 0.0,
                    seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    source = np.zeros(n)
    t = 0.0
    while t < n:
        period = SR / f0 * (1 + jitter * rng.standard_normal())
        amplitude = 1 + shimmer * rng.standard_normal()
        opening = 0.6 * period  # the pulse closes (the main excitation) exactly at t
        i0, i1 = max(0, int(np.ceil(t - opening))), min(n, int(np.ceil(t)))
        tau = np.arange(i0, i1) - (t - opening)
        rise = 0.7 * opening
        flow = np.where(tau < rise, 0.5 * (1 - np.cos(np.pi * tau / rise)),
                        np.cos(np.pi * (tau - rise) / (2 * (opening - rise))))
        source[i0:i1] += amplitude * flow
        t += period
    y = np.diff(source, prepend=0.0)
    for formant, bandwidth in ((700, 110), (1220, 120), (2600, 160)):
        r = np.exp(-np.pi * bandwidth / SR)
        theta = 2 * np.pi * formant / SR
        y = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], y)
    return 0.3 * y / np.max(np.abs(y))


def praat(x: np.ndarray) -> tuple[float, float, float]:
    sound = parselmouth.Sound(np.asarray(x, dtype=np.float64), sampling_frequency=SR)
    pitch = sound.to_pitch_ac(pitch_floor=75, pitch_ceiling=500)
    pulses = call([sound, pitch], "To PointProcess (cc)")
    jitter = call(pulses, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3)
    shimmer = call([sound, pulses], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6)
    median = call(pitch, "Get quantile", 0, 0, 0.5, "Hertz")
    return jitter, shimmer, median


def ours(pcm: bytes) -> dict:
    analyzer = StreamingAnalyzer(sample_rate=SR)
    for i in range(0, len(pcm), 4096):
        analyzer.feed(pcm[i:i + 4096])
    return analyzer.finish()


@pytest.mark.parametrize("f0", [100, 150, 220])
def test_jitter_tracks_period_perturbation_like_praat(f0):
    measured = []
    for level in (0.005, 0.01, 0.02, 0.03):
        x = perturbed_vowel(f0, 2.0, jitter=level, seed=int(level * 1000))
        result = ours(to_pcm16(x))
        reference, _, _ = praat(np.frombuffer(to_pcm16(x), "<i2") / 32768.0)
        # Within 2 % up to 1 % jitter (Praat's pathology threshold is 1.04 %), within 20 % up to 3 %.
        tolerance = 0.02 if level <= 0.01 else 0.2
        assert result["jitter_local"] == pytest.approx(reference, rel=tolerance), (f0, level)
        measured.append(result["jitter_local"])
    assert measured == sorted(measured)  # monotone in the perturbation
    assert measured[-1] > 4 * measured[0]


@pytest.mark.parametrize("f0", [100, 150, 220])
def test_shimmer_tracks_amplitude_perturbation_like_praat(f0):
    measured = []
    for level in (0.03, 0.06, 0.12):
        x = perturbed_vowel(f0, 2.0, shimmer=level, seed=int(level * 1000) + 1)
        pcm = to_pcm16(x)
        result = ours(pcm)
        _, reference, _ = praat(np.frombuffer(pcm, "<i2") / 32768.0)
        assert result["shimmer_local"] == pytest.approx(reference, rel=0.03), (f0, level)
        # Amplitude perturbation alone must not read as period jitter (smoothed peaks alone leaked it).
        assert result["jitter_local"] < 0.003
        measured.append(result["shimmer_local"])
    assert measured == sorted(measured)


def test_a_clean_vowel_has_near_zero_perturbation():
    result = ours(to_pcm16(perturbed_vowel(120, 2.0)))
    assert result["jitter_local"] < 0.002 and result["shimmer_local"] < 0.01
    # One mark per cycle, also where the deferred mark passes meet (no duplicate, no gap).
    assert result["glottal_marks"] == pytest.approx(2.0 * 120, abs=3)


@pytest.mark.parametrize("name", ["harvard_spk1_1.wav", "harvard_spk1_2.wav", "harvard_spk1_3.wav",
                                  "harvard_spk1_4.wav", "harvard_spk1_5.wav", "jfk.wav"])
def test_real_speech_against_praat(speech_dir, name):
    pcm = read_wav_pcm16(speech_dir / name)
    result = ours(pcm)
    jitter, shimmer, median = praat(np.frombuffer(pcm, "<i2") / 32768.0)
    cents = 1200 * np.log2(result["pitch_median_hz"] / median)
    assert abs(cents) < 50, cents  # the bar; measured 0-17 cents
    assert 0.8 <= result["jitter_local"] / jitter <= 1.8
    assert 0.8 <= result["shimmer_local"] / shimmer <= 1.4


def per_cycle_gain_vowel(f0: float, seconds: float, level: float, *, seed: int) -> np.ndarray:
    """A vowel with a little jitter whose every cycle of the *output* waveform is scaled by 1 + level * U(-1, 1):
    amplitude steps the formant ringing cannot smooth, unlike perturbed_vowel's source pulses."""
    x = perturbed_vowel(f0, seconds, jitter=0.005, seed=seed)
    rng = np.random.default_rng(seed + 7)
    gain, t, period = np.ones(x.size), 0.0, SR / f0
    while t < x.size:
        gain[int(t):min(x.size, int(t + period))] = 1 + level * rng.uniform(-1, 1)
        t += period
    y = x * gain
    return 0.3 * y / np.max(np.abs(y))


@pytest.mark.parametrize("model", ["source", "output"])
@pytest.mark.parametrize("f0", [100, 220])
def test_shimmer_within_25_percent_of_praat_up_to_heavy_perturbation(model, f0):
    # Measured ours/Praat 0.99-1.05 from 0 to 25 % on both models at 100, 150 and 220 Hz: the estimator follows
    # Praat's (marks, Hann-windowed RMS, the 1.6 amplitude factor) and does not drift at heavy perturbation.
    for level in (0.0, 0.1, 0.2, 0.25):
        seed = int(level * 1000) + f0
        x = (perturbed_vowel(f0, 2.0, shimmer=level, jitter=0.005, seed=seed) if model == "source"
             else per_cycle_gain_vowel(f0, 2.0, level, seed=seed))
        pcm = to_pcm16(x)
        result = ours(pcm)
        _, reference, _ = praat(np.frombuffer(pcm, "<i2") / 32768.0)
        if level == 0.0:
            assert result["shimmer_local"] < 0.02 and reference < 0.02
        else:
            assert result["shimmer_local"] == pytest.approx(reference, rel=0.25), (model, f0, level)
            assert result["shimmer_local"] > 0.02
