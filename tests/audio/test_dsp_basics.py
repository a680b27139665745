"""PCM decoding, levels and running statistics (pure: runs with `-p no:django`)."""

from __future__ import annotations

import numpy as np
import pytest

from audio.dsp import Pcm16Decoder, PitchHistogram, RunningStats, dbfs, rms

SR = 16000


def test_decoder_keeps_an_odd_byte_for_the_next_frame():
    samples = np.array([1, -2, 300, -32768, 32767, 12345, -7], dtype="<i2")
    raw = samples.tobytes()
    decoder = Pcm16Decoder()
    parts = [decoder.decode(raw[i:i + 3]) for i in range(0, len(raw), 3)]  # every frame splits a sample
    decoded = np.concatenate(parts)
    assert decoder.pending_bytes == 0
    np.testing.assert_array_equal(np.round(decoded * 32768).astype(np.int64), samples.astype(np.int64))


def test_decoder_single_bytes_and_pending_state():
    decoder = Pcm16Decoder()
    assert decoder.decode(b"\x01").size == 0 and decoder.pending_bytes == 1
    out = decoder.decode(b"\x02")  # 0x0201 little endian
    assert out.size == 1 and round(out[0] * 32768) == 0x0201
    assert decoder.decode(b"").size == 0


@pytest.mark.parametrize("bad", ["text", 123, None, [1, 2], np.zeros(4, dtype=np.int16)])
def test_decoder_rejects_non_bytes(bad):
    with pytest.raises(TypeError):
        Pcm16Decoder().decode(bad)


def test_decoder_accepts_bytearray_and_memoryview():
    raw = np.array([100, -100], dtype="<i2").tobytes()
    for data in (bytearray(raw), memoryview(raw)):
        assert Pcm16Decoder().decode(data).size == 2


@pytest.mark.parametrize("amplitude, expected", [(1.0, -3.0103), (0.5, -9.0309), (0.1, -23.0103)])
def test_dbfs_of_a_sine(amplitude, expected):
    t = np.arange(SR) / SR
    x = amplitude * np.sin(2 * np.pi * 440 * t)
    assert rms(x) == pytest.approx(amplitude / np.sqrt(2), rel=1e-4)
    assert dbfs(x) == pytest.approx(expected, abs=0.01)


def test_dbfs_of_silence_is_finite():
    assert dbfs(np.zeros(100)) == pytest.approx(-120.0)
    assert dbfs(np.zeros(0)) == pytest.approx(-120.0)


def test_welford_matches_numpy_and_merges():
    rng = np.random.default_rng(0)
    values = rng.normal(5.0, 3.0, 10_001)
    one = RunningStats()
    for v in values:
        one.push(float(v))
    assert one.count == values.size
    assert one.mean == pytest.approx(values.mean(), rel=1e-12)
    assert one.variance == pytest.approx(values.var(), rel=1e-9)
    assert one.sample_variance == pytest.approx(values.var(ddof=1), rel=1e-9)
    assert (one.minimum, one.maximum) == (values.min(), values.max())
    left, right = RunningStats(), RunningStats()
    left.push_many(values[:3000])
    for v in values[3000:]:
        right.push(float(v))
    merged = left.merge(right)
    assert merged.count == values.size
    assert merged.mean == pytest.approx(values.mean(), rel=1e-12)
    assert merged.variance == pytest.approx(values.var(), rel=1e-9)


def test_welford_is_stable_on_a_large_offset():
    rng = np.random.default_rng(1)
    values = 1e9 + rng.normal(0.0, 0.01, 5000)
    stats = RunningStats()
    for v in values:
        stats.push(float(v))
    naive = np.mean(values ** 2) - np.mean(values) ** 2  # the textbook formula cancels catastrophically
    assert stats.std == pytest.approx(np.std(values), rel=1e-4)
    assert abs(naive - np.var(values)) > 1e-3  # shows the trap is real
    merged = RunningStats()
    for part in np.array_split(values, 7):
        chunk = RunningStats()
        chunk.push_many(part)
        merged.merge(chunk)
    assert merged.std == pytest.approx(np.std(values), rel=1e-4)


def test_empty_stats_are_none():
    stats = RunningStats()
    assert stats.variance is None and stats.std is None and stats.sample_variance is None
    stats.push_many(np.array([]))
    assert stats.count == 0
    assert PitchHistogram().quantile_hz(0.5) is None


def test_pitch_histogram_quantiles_within_bin_error():
    rng = np.random.default_rng(2)
    f0 = 150.0 * 2 ** (rng.normal(0, 3, 5000) / 12)
    hist = PitchHistogram()
    hist.add(f0)
    for q in (0.05, 0.5, 0.95):
        cents = 1200 * np.log2(hist.quantile_hz(q) / np.quantile(f0, q))
        assert abs(cents) < 5.0


def test_vad_block_shortcut_matches_step_by_step():
    # push_many takes steady runs in one step; the outcome must equal pushing the same levels one at a time.
    from audio.dsp import EnergyVad

    rng = np.random.default_rng(4)
    levels: list[float] = []
    for _ in range(40):  # alternating steady speech, silence and jittery stretches of random length
        kind = rng.integers(3)
        n = int(rng.integers(3, 60))
        base = (-25.0, -62.0, -45.0)[kind]
        spread = (2.0, 1.0, 12.0)[kind]
        levels += list(base + spread * rng.standard_normal(n))
    levels += [-120.0] * 20
    one, many = EnergyVad(sample_rate=SR, block=128), EnergyVad(sample_rate=SR, block=128)
    stepped = [one.push(level, 128 * i) for i, level in enumerate(levels)]
    batched = []
    for i in range(0, len(levels), 16):
        batched += many.push_many(levels[i:i + 16], 128 * i)
    assert batched == stepped
    assert (many.pause_count, many.pauses, many.floor_db) == (one.pause_count, one.pauses, one.floor_db)
    assert many.speaking_samples(128 * len(levels)) == one.speaking_samples(128 * len(levels))
    assert one.pause_count > 3
