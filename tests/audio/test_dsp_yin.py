"""YIN on synthetic tones, impulsive pulse trains and vowels, 80-480 Hz, clean and at 20 dB SNR."""

from __future__ import annotations

import numpy as np
import pytest

from audio.dsp import YinConfig, yin

SR = 16000
CONFIG = YinConfig()
F0S = [80, 100, 130, 180, 220, 260, 300, 350, 400, 450, 480]


def frames_of(x: np.ndarray) -> np.ndarray:
    view = np.lib.stride_tricks.sliding_window_view(x, CONFIG.frame_length)
    return view[1000: x.size - CONFIG.frame_length - 1000: 256]


def tone(f0: float, kind: str, snr_db: float | None, seed: int = 0) -> np.ndarray:
    t = np.arange(SR) / SR
    if kind == "sine":
        x = np.sin(2 * np.pi * f0 * t)
    elif kind == "pulses":  # impulsive, period not a whole number of samples: the 0.1-threshold trap
        x = np.exp(-8 * ((f0 * t) % 1.0)) - 0.12
    else:  # a vowel-like pulse train through two formants, no vibrato
        phase = (f0 * t) % 1.0
        source = np.where(phase < 0.6, np.sin(np.pi * phase / 0.6) ** 2, 0.0)
        spectrum = np.fft.rfft(np.diff(source, prepend=0.0))
        freqs = np.fft.rfftfreq(t.size, 1 / SR)
        for formant, bw in ((700, 110), (1200, 120)):
            spectrum *= 1 + 4 * np.exp(-0.5 * ((freqs - formant) / bw) ** 2)
        x = np.fft.irfft(spectrum, t.size)
    x = x / np.std(x)
    if snr_db is not None:
        x = x + np.random.default_rng(seed).normal(0, 10 ** (-snr_db / 20), x.size)
    return x


@pytest.mark.parametrize("kind", ["sine", "pulses", "vowel"])
@pytest.mark.parametrize("snr_db", [None, 20.0])
def test_f0_within_one_percent_and_no_octave_errors(kind, snr_db):
    for f0 in F0S:
        est, aperiodicity = yin(frames_of(tone(f0, kind, snr_db)), CONFIG)
        error = np.abs(est / f0 - 1)
        assert np.median(error) < 0.01, (kind, f0, np.median(est))
        assert error.max() < 0.03, (kind, f0, est.min(), est.max())  # no octave (or third) errors in any frame
        assert np.median(1 - aperiodicity) > 0.7  # periodic: confident


def test_high_voices_are_not_cut_off():
    est, _ = yin(frames_of(tone(480, "vowel", None)), CONFIG)
    assert np.median(est) == pytest.approx(480, rel=0.01)


def test_threshold_0_1_fails_on_the_impulsive_train_and_0_2_does_not():
    # Why the threshold is 0.2 (STACK_NOTES): at 0.1 a 350 Hz impulsive train can lock onto a multiple period.
    frames = frames_of(tone(450, "pulses", None))
    strict, _ = yin(frames, YinConfig(threshold=0.1))
    chosen, _ = yin(frames, CONFIG)
    assert np.median(chosen) == pytest.approx(450, rel=0.01)
    assert np.median(strict) < 300


def test_noise_has_low_confidence():
    noise = np.random.default_rng(3).normal(0, 1, SR)
    _, aperiodicity = yin(frames_of(noise), CONFIG)
    assert np.median(1 - aperiodicity) < 0.5


def test_short_frames_are_refused():
    with pytest.raises(ValueError):
        yin(np.zeros((2, 100)), CONFIG)


def test_streaming_tracker_matches_the_reference_difference_function():
    # The live path (frames as views, shared energies, float32 cross term) against the plain float64 form.
    from audio.dsp.yin import YinTracker, cmnd

    x = tone(173, "vowel", 20.0)
    tracker = YinTracker(CONFIG)
    f0, aperiodicity = tracker.hops(x, 1000, 8, 256)
    frames = np.stack([x[1000 + k * 256: 1000 + k * 256 + CONFIG.frame_length] for k in range(8)])
    ref_f0, ref_aperiodicity = yin(frames, CONFIG)
    np.testing.assert_allclose(f0, ref_f0, rtol=1e-5)
    np.testing.assert_allclose(aperiodicity, ref_aperiodicity, atol=1e-5)
    _, norm = cmnd(frames, CONFIG)
    np.testing.assert_allclose(aperiodicity, norm[np.arange(8), np.rint(SR / f0).astype(int)], atol=0.05)
    with pytest.raises(ValueError):
        tracker.hops(x, x.size - 100, 8, 256)  # frames beyond the signal
