"""Compressed replay audio: an answer's raw PCM (16-bit LE, 16 kHz, mono) to Opus in WebM, and back.

PyAV (installed with faster-whisper) links FFmpeg's libopus. WebM rather than Ogg: every current browser plays Opus
in WebM (Safari since 15, years before it played Ogg Opus), and FFmpeg writes WebM's cues and duration, so a player
seeks with range requests instead of reading the whole file. 24 kbit/s is speech quality (Opus's own guidance for
wideband voice) and about a tenth of the raw PCM's 256 kbit/s.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
BITRATE = 24000
SUFFIX = ".webm"
CONTENT_TYPE = "audio/webm"
_CHUNK_SAMPLES = SAMPLE_RATE  # one second of samples per encoder call keeps memory flat on long answers


class CodecError(RuntimeError):
    """The audio could not be encoded or decoded (the original is then kept)."""


def pcm_duration_s(size_bytes: int) -> float:
    return size_bytes // 2 / SAMPLE_RATE


def encode_pcm_to_webm(source: Path, target: Path) -> None:
    """Encode the raw PCM file `source` to Opus in WebM at `target`, written under a temporary name and renamed, so
    `target` never exists half-written."""
    import av

    partial = target.with_name(target.name + ".part")
    try:
        with source.open("rb") as pcm, av.open(str(partial), "w", format="webm") as out:
            stream = out.add_stream("libopus", rate=SAMPLE_RATE, layout="mono")
            stream.bit_rate = BITRATE
            while chunk := pcm.read(_CHUNK_SAMPLES * 2):
                samples = np.frombuffer(chunk[: len(chunk) - len(chunk) % 2], dtype="<i2")
                if not samples.size:
                    break
                frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
                frame.sample_rate = SAMPLE_RATE
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        os.replace(partial, target)
    except (av.FFmpegError, OSError, ValueError) as exc:
        with contextlib.suppress(OSError):  # cleanup must not hide the cause
            partial.unlink(missing_ok=True)
        raise CodecError(f"could not encode {source.name}: {exc}") from exc


def decode_float(path: Path, *, rate: int = SAMPLE_RATE) -> np.ndarray:
    """The samples of a compressed file as float32 in [-1, 1], mono, resampled to `rate`."""
    import av

    parts: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(audio=0):
                parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise CodecError(f"could not decode {path.name}: {exc}") from exc
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, dtype=np.float32)


def decoded_duration_s(path: Path) -> float:
    """The duration of a compressed file by decoding every frame (not the container's header, which a truncated
    file can still carry)."""
    import av

    samples, rate = 0, SAMPLE_RATE
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(audio=0):
                samples += frame.samples
                rate = frame.sample_rate
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise CodecError(f"could not decode {path.name}: {exc}") from exc
    return samples / rate
