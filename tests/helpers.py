"""Test helpers: synthetic speech-like audio, WAV reading, socket plumbing."""

from __future__ import annotations

import asyncio
import json
import wave
from pathlib import Path
from typing import Any

import numpy as np

SR = 16000


def vowel(f0: float, seconds: float, *, amplitude: float = 0.3, seed: int = 0) -> np.ndarray:
    """A glottal-pulse train through two formant resonators: voiced, periodic, speech-like."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    # Slight vibrato so it is not a pure tone.
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))) / SR
    source = np.sign(np.sin(phase)) * 0.5 + np.sin(phase)
    spectrum = np.fft.rfft(source)
    freqs = np.fft.rfftfreq(n, 1 / SR)
    for formant, bw in ((700, 110), (1200, 120)):
        spectrum *= 1 + 4 * np.exp(-0.5 * ((freqs - formant) / bw) ** 2)
    y = np.fft.irfft(spectrum, n)
    y = y / (np.max(np.abs(y)) + 1e-9) * amplitude
    return (y + rng.normal(0, 0.001, n)).astype(np.float32)


def silence(seconds: float, *, level: float = 0.0005, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, level, int(seconds * SR)).astype(np.float32)


def speech_with_pauses(segments: list[tuple[str, float]]) -> np.ndarray:
    """[("speech", 1.0), ("pause", 0.5), ...] -> audio."""
    parts = []
    for i, (kind, seconds) in enumerate(segments):
        parts.append(vowel(120 + 10 * (i % 3), seconds, seed=i) if kind == "speech" else silence(seconds, seed=i))
    return np.concatenate(parts)


def to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def frames(pcm: bytes, size: int = 4096) -> list[bytes]:
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


def read_wav_pcm16(path: Path) -> bytes:
    """A 16 kHz mono 16-bit WAV's samples as raw PCM16 LE bytes."""
    with wave.open(str(path), "rb") as handle:
        assert handle.getframerate() == SR and handle.getnchannels() == 1 and handle.getsampwidth() == 2
        return handle.readframes(handle.getnframes())


async def receive_until(communicator: Any, kind: str, *, timeout: float = 10.0,
                        collect: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Read JSON events until one of type `kind` arrives; others are appended to `collect`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no {kind!r} event within {timeout} s; got {[e.get('type') for e in collect or []]}")
        message = await communicator.receive_output(timeout=remaining)
        if message["type"] == "websocket.close":
            raise AssertionError(f"socket closed with {message.get('code')} while waiting for {kind!r}")
        event = json.loads(message["text"])
        if event.get("type") == kind:
            return event
        if collect is not None:
            collect.append(event)
