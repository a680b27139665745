"""PCM16 decoding and levels.

Frames from a socket or file reader can split a sample between two frames (a 4097-byte frame, a 1-byte frame):
the decoder keeps the odd trailing byte and prepends it to the next frame, so sample alignment never drifts.
"""

from __future__ import annotations

import numpy as np

FULL_SCALE = 32768.0
# Below this level a block counts as digital silence: keeps dBFS finite (-120 dB) without special cases.
_MIN_POWER = 1e-12


class Pcm16Decoder:
    """Little-endian signed 16-bit mono PCM bytes -> float64 samples in [-1, 1)."""

    def __init__(self) -> None:
        self._carry = b""

    @property
    def pending_bytes(self) -> int:
        return len(self._carry)

    def decode(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        return self.decode_int16(data).astype(np.float64) / FULL_SCALE

    def decode_int16(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        """The whole samples in `data` (after any byte kept from the previous call) as int16, not scaled."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"PCM16 data must be bytes-like, not {type(data).__name__}")
        raw = bytes(data)
        if self._carry:
            raw = self._carry + raw
            self._carry = b""
        if len(raw) % 2:
            raw, self._carry = raw[:-1], raw[-1:]
        return np.frombuffer(raw, dtype="<i2")


def rms(samples: np.ndarray) -> float:
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def power_to_dbfs(mean_square: np.ndarray | float) -> np.ndarray | float:
    """Mean square -> dBFS, full scale = 1.0 (so a full-scale sine reads -3.01 dBFS; no AES17 +3 dB offset)."""
    return 10.0 * np.log10(np.maximum(mean_square, _MIN_POWER))


def dbfs(samples: np.ndarray) -> float:
    if samples.size == 0:
        return float(power_to_dbfs(0.0))
    return float(power_to_dbfs(float(np.mean(np.square(samples, dtype=np.float64)))))
