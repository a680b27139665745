"""Per-chunk cost of the streaming signal analyzer vs the seed system's per-chunk pitch call, same audio, same run.

    .venv/bin/python bench/signal_bench.py [--repeat 3]

Audio: the real speech in ../shared/speech (jfk + harvard), as 4096-byte PCM16 frames (128 ms). Ours: the whole
StreamingAnalyzer.feed (decode, VAD, YIN, glottal marks, jitter/shimmer, stats, contour) per frame. Baseline:
`librosa.yin(fmin=80, fmax=300, frame_length=2048, hop_length=256, sr=16000)` over the previous 100 ms plus the
frame, which is only the pitch part of the seed system. Prints p50/p99/mean in ms and the ratios baseline/ours.
Ours defers the glottal-mark pass to every ~0.5 s of voicing, so a few frames carry it: p50 is the typical frame,
the mean includes the mark passes.
"""

from __future__ import annotations

import argparse
import sys
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio.dsp import StreamingAnalyzer

SPEECH = ROOT.parent / "shared" / "speech"
CHUNK = 4096


def speech_pcm() -> bytes:
    files = ["jfk.wav"] + [f"harvard_spk1_{i}.wav" for i in range(1, 6)]
    parts = []
    for name in files:
        with wave.open(str(SPEECH / name), "rb") as handle:
            parts.append(handle.readframes(handle.getnframes()))
    return b"".join(parts)


def time_ours(pcm: bytes) -> np.ndarray:
    analyzer = StreamingAnalyzer(sample_rate=16000)
    times = []
    for i in range(0, len(pcm) - CHUNK + 1, CHUNK):
        chunk = pcm[i:i + CHUNK]
        start = time.perf_counter()
        analyzer.feed(chunk)
        times.append(time.perf_counter() - start)
    analyzer.finish()
    return np.array(times[2:])  # the first frames only fill the lookahead


def time_baseline(pcm: bytes) -> np.ndarray:
    import librosa

    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
    history = 1600  # the previous 100 ms
    librosa.yin(samples[:4096], fmin=80, fmax=300, frame_length=2048, hop_length=256, sr=16000)  # numba warm-up
    times = []
    for i in range(CHUNK // 2, samples.size - CHUNK // 2 + 1, CHUNK // 2):
        window = samples[max(0, i - history): i + CHUNK // 2]
        if window.size < 2048:
            continue
        start = time.perf_counter()
        librosa.yin(window, fmin=80, fmax=300, frame_length=2048, hop_length=256, sr=16000)
        times.append(time.perf_counter() - start)
    return np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the audio (interleaved)")
    args = parser.parse_args()
    pcm = speech_pcm()
    ours, base = [], []
    for _ in range(args.repeat):
        ours.append(time_ours(pcm))
        base.append(time_baseline(pcm))
    o, b = np.concatenate(ours) * 1e3, np.concatenate(base) * 1e3
    print(f"audio: {len(pcm) / 32000:.1f} s of real speech x {args.repeat}, {CHUNK}-byte frames")
    for label, t in (("StreamingAnalyzer.feed", o), ("librosa.yin baseline  ", b)):
        print(f"{label}  p50 {np.median(t):.3f} ms  p99 {np.percentile(t, 99):.3f} ms  mean {t.mean():.3f} ms"
              f"  (n={t.size})")
    print(f"ratio baseline/ours     p50 {np.median(b) / np.median(o):.2f}x  mean {b.mean() / o.mean():.2f}x")


if __name__ == "__main__":
    main()
