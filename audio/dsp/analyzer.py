"""The streaming signal analyzer of one spoken answer: the live path and the offline command both use it.

Audio is processed in fixed blocks of 2048 samples (128 ms; one recommended 4096-byte frame) on an absolute
sample grid, whatever the chunking of `feed`: every decision depends only on sample positions, so feeding the
same audio in 1-byte, 4096-byte or 32000-byte pieces gives identical aggregates, and times are sample positions,
never arrival times. A block is analysed once LOOKAHEAD samples past its end have arrived (the last pitch window
reaches beyond it), so live values trail the audio by at most ~150 ms.

Per block: 8 pitch frames (hop 16 ms, 32 ms YIN window, one batched FFT), 16 energy blocks of 8 ms for the
voice activity detector, and O(1) updates of every aggregate: everything the live snapshot shows is current.
Glottal marks and jitter/shimmer are not live values, so their voiced 16 ms slots are collected and analysed
together once the oldest is MARK_BATCH samples old (and at `finish`): one batched pass over ~0.5 s costs about
what one pass over a single block did. Memory is bounded: the sample buffer (history, the pending voiced audio
and the latest feed), a 1037-bin pitch histogram, a contour decimated to at most CONTOUR_POINTS, and at most
2000 stored pause intervals (counts and totals stay exact beyond that).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from audio.dsp.contour import clean_contour
from audio.dsp.marks import MarkChain, glottal_marks
from audio.dsp.pcm import FULL_SCALE, Pcm16Decoder
from audio.dsp.perturbation import PerturbationAccumulator
from audio.dsp.stats import PitchHistogram, RunningStats, hz_to_semitones
from audio.dsp.vad import EnergyVad
from audio.dsp.yin import YinConfig, YinTracker

BLOCK = 2048
HOP = 256  # pitch frame step: 16 ms
VAD_BLOCK = 128  # energy step: 8 ms
# A frame is voiced when YIN's d'(T) is at most this (periodicity confidence >= 0.5) and the VAD says speech:
# near Praat's voicing threshold (0.45 on its autocorrelation); at 0.3 jfk.wav lost a quarter of Praat's voiced
# frames, mostly low phrase endings, and its median read 86 cents high (55 at 0.45, 4 at 0.5).
VOICED_MAX_APERIODICITY = 0.5
VOICED_ABOVE_FLOOR_DB = 1.0
MONOTONE_BELOW_ST = 2.0
MIN_VOICED_FRAMES = 10  # below this (160 ms of voicing) pitch spread and range are not meaningful
CONTOUR_POINTS = 600
CLIP_LEVEL = 32767.0 / FULL_SCALE
# Voiced slots wait for the glottal-mark pass until the oldest is this old (0.5 s): the pass's fixed cost is
# then paid about once per four blocks of voicing instead of once per voiced run in every block.
MARK_BATCH = 8192
HISTORY = 1024  # samples kept before a block (pitch window lead) and before the oldest pending voiced slot
_POWER_FLOOR = 1e-12  # -120 dBFS, as pcm.power_to_dbfs


class StreamingAnalyzer:
    def __init__(self, sample_rate: int = 16000) -> None:
        if sample_rate != 16000:
            # Frame sizes, lags and the block grid are tuned for 16 kHz: resample before (see analyze_audio).
            raise ValueError("StreamingAnalyzer expects 16 kHz audio; resample first")
        self.sample_rate = sample_rate
        self.yin_config = YinConfig(sample_rate=sample_rate)
        self._yin = YinTracker(self.yin_config, max_frames=BLOCK // HOP)
        frame_len = self.yin_config.frame_length
        # Frame k analyses [k*HOP + HOP/2 - W/2, ... + frame_len): centred on its hop slot.
        self._frame_lead = HOP // 2 - self.yin_config.window // 2
        self.lookahead = max(VAD_BLOCK, (BLOCK // HOP - 1) * HOP + self._frame_lead + frame_len - BLOCK)
        self._decoder = Pcm16Decoder()
        # Samples live in one preallocated array: appending writes in place, and the kept tail moves to the
        # front only when the array is full (a concatenate per feed copied the whole buffer every time).
        self._store = np.zeros(4 * BLOCK + MARK_BATCH + 2 * HISTORY)
        self._fill = HISTORY  # virtual leading zeros before sample 0
        self._buf_start = -HISTORY  # absolute sample index of _store[0]
        self._block_start = 0
        self._received = 0
        self._finished: dict[str, Any] | None = None

        self.vad = EnergyVad(sample_rate=sample_rate, block=VAD_BLOCK)
        self.loudness = RunningStats()
        self.pitch_st = RunningStats()
        self.pitch_hist = PitchHistogram()
        self.perturbation = PerturbationAccumulator(sample_rate)
        self._speech_frames = 0
        self._voiced_speech_frames = 0
        self._voiced_frames = 0
        self._clipped = 0
        self._pending_start: list[int] = []  # voiced slots waiting for the glottal-mark pass
        self._pending_period: list[float] = []
        self._chain: MarkChain | None = None
        self._chain_end = -1  # end of the last slot the chain covers
        self._last = {"dbfs": None, "pitch_hz": None, "voiced": False}
        self._contour_t: list[float] = []
        self._contour_f0: list[float | None] = []
        self._contour_db: list[float] = []
        self._contour_stride = 1
        self._frame_index = 0

    @property
    def _buf(self) -> np.ndarray:
        return self._store[:self._fill]

    @property
    def _buf_end(self) -> int:
        return self._buf_start + self._fill

    # --- input ---------------------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self._finished is not None:
            raise RuntimeError("feed() after finish()")
        raw = self._decoder.decode_int16(data)
        if raw.size == 0:
            return
        self._received += raw.size
        np.multiply(raw, 1.0 / FULL_SCALE, out=self._reserve(raw.size))
        while self._buf_end >= self._block_start + BLOCK + self.lookahead:
            self._process_block(limit=None)

    def _reserve(self, n: int) -> np.ndarray:
        """Room for n more samples at the end of the buffer (dropping what no analysis needs any more)."""
        if self._fill + n > self._store.size:
            keep = self._block_start - HISTORY
            if self._pending_start:
                keep = min(keep, self._pending_start[0] - HISTORY)
            drop = keep - self._buf_start
            if drop > 0:
                self._store[:self._fill - drop] = self._store[drop:self._fill]
                self._fill -= drop
                self._buf_start += drop
            if self._fill + n > self._store.size:
                grown = np.zeros(-(-(self._fill + n) // BLOCK) * BLOCK)
                grown[:self._fill] = self._store[:self._fill]
                self._store = grown
        out = self._store[self._fill:self._fill + n]
        self._fill += n
        return out

    # --- one block -----------------------------------------------------------------------------------------

    def _process_block(self, *, limit: int | None) -> None:
        """Analyse [block_start, block_start + BLOCK); with `limit`, samples from `limit` on are padding."""
        s0 = self._block_start
        base = s0 - self._buf_start  # index of s0 in _buf
        buf = self._store
        real = BLOCK if limit is None else max(0, min(BLOCK, limit - s0))

        # Voice activity: 8 ms blocks judged on their own energy. A smoothed (24 ms) level moved every boundary
        # outwards by up to two blocks and read an 0.80 s pause as 0.78 s; hysteresis already stops chatter.
        # Per-block values are few (16 levels, 8 frames): plain Python on them costs less than NumPy calls.
        block = buf[base: base + BLOCK]
        span = block.reshape(-1, VAD_BLOCK)
        energy = np.einsum("ij,ij->i", span, span).tolist()
        n_vad = -(-real // VAD_BLOCK)
        log10 = math.log10
        levels = [10.0 * log10(max(e * (1.0 / VAD_BLOCK), _POWER_FLOOR)) for e in energy[:n_vad]]
        active = self.vad.push_many(levels, s0)
        if n_vad:
            self.loudness.push_many([lv for lv, on in zip(levels, active, strict=True) if on])
            self._last["dbfs"] = levels[-1]
        if real:
            self._clipped += int(np.count_nonzero(np.abs(block[:real]) >= CLIP_LEVEL))

        # Pitch: 8 frames centred on the 16 ms hop slots of this block, one batched YIN.
        n_frames = -(-real // HOP)
        if n_frames:
            self._pitch_frames(s0, base, n_frames, active, energy)
        self._block_start = s0 + BLOCK

    def _pitch_frames(self, s0: int, base: int, n_frames: int, active: list[bool], energy: list[float]) -> None:
        cfg = self.yin_config
        f0_array, aperiodicity = self._yin.hops(self._store, base + self._frame_lead, n_frames, HOP)
        f0, aperiodic = f0_array.tolist(), aperiodicity.tolist()
        log10 = math.log10
        slot_db = [10.0 * log10(max((energy[2 * i] + energy[2 * i + 1]) * (0.5 / VAD_BLOCK), _POWER_FLOOR))
                   for i in range(n_frames)]
        # Voicing needs periodicity and a level clearly above the noise floor, not the VAD's speech state:
        # quiet voiced phrase endings fall below the VAD's offset, and Praat (the reference) counts them (jfk.wav:
        # median 56 cents above Praat's when voicing needed +6 dB, 16 cents at +1 dB).
        audible = self.vad.floor_db + VOICED_ABOVE_FLOOR_DB
        fmin, fmax = cfg.fmin, cfg.fmax
        voiced = [db > audible and a <= VOICED_MAX_APERIODICITY and fmin <= f <= fmax
                  for db, a, f in zip(slot_db, aperiodic, f0, strict=True)]
        active = active + [False] * (2 * n_frames - len(active))  # the zero padding of the last block
        speech = [active[2 * i] or active[2 * i + 1] for i in range(n_frames)]  # HOP = 2 VAD blocks
        self._speech_frames += sum(speech)
        self._voiced_speech_frames += sum(1 for sp, v in zip(speech, voiced, strict=True) if sp and v)
        # Glottal marks: first the voiced slots of earlier blocks, if they have waited long enough (the samples
        # they need, up to ~400 past their end, lie in this block), then queue this block's.
        if self._pending_start and s0 - self._pending_start[0] >= MARK_BATCH:
            self._mark_pass()
        voiced_f0 = [f for f, v in zip(f0, voiced, strict=True) if v]
        if voiced_f0:
            self._voiced_frames += len(voiced_f0)
            semitones = [12.0 * math.log2(f / 100.0) for f in voiced_f0]  # as stats.hz_to_semitones
            self.pitch_hist.add_semitones(semitones)
            self.pitch_st.push_many(semitones)
            rate = self.sample_rate
            for i, v in enumerate(voiced):
                if v:
                    self._pending_start.append(s0 + i * HOP)
                    self._pending_period.append(rate / f0[i])
        self._last["voiced"] = voiced[-1]
        self._last["pitch_hz"] = f0[-1] if voiced[-1] else None
        self._contour_add(s0, f0, voiced, slot_db)

    def _mark_pass(self) -> None:
        """Glottal marks over every pending voiced slot, fed to the jitter/shimmer accumulator."""
        starts = np.array(self._pending_start, dtype=np.int64)
        periods = np.array(self._pending_period)
        chain = self._chain if self._chain is not None and self._pending_start[0] == self._chain_end else None
        result = glottal_marks(self._buf, self._buf_start, starts, periods, HOP, chain)
        self._chain = result.chain
        self._chain_end = self._pending_start[-1] + HOP
        self._pending_start, self._pending_period = [], []
        if result.marks.size:
            self.perturbation.add(result.marks, self._buf, self._buf_start)

    def _contour_add(self, s0: int, f0: list[float], voiced: list[bool], slot_db: list[float]) -> None:
        stride = self._contour_stride
        rate = self.sample_rate
        for i, pitch in enumerate(f0):
            if (self._frame_index + i) % stride:
                continue
            self._contour_t.append(round((s0 + i * HOP + HOP / 2) / rate, 3))
            self._contour_f0.append(round(pitch, 1) if voiced[i] else None)
            self._contour_db.append(round(slot_db[i], 1))
        self._frame_index += len(f0)
        if len(self._contour_t) > CONTOUR_POINTS:
            # Halve the resolution: keep every other point and sample half as often from now on.
            self._contour_t = self._contour_t[::2]
            self._contour_f0 = self._contour_f0[::2]
            self._contour_db = self._contour_db[::2]
            self._contour_stride *= 2

    # --- output --------------------------------------------------------------------------------------------

    def _processed_position(self) -> int:
        return min(self._block_start, self._received)

    @property
    def processed_samples(self) -> int:
        """How far the live analysis (and so the VAD's decisions) has reached, in samples: end-pointing reads it."""
        return self._processed_position()

    def snapshot(self) -> dict[str, Any]:
        """Live values (plain JSON types): as of the last analysed block, `t` = audio received so far."""
        if self._finished is not None:
            f = self._finished
            return {"t": f["duration_s"], "loudness_dbfs": self._last["dbfs"], "pitch_hz": None, "voiced": False,
                    "in_pause": False, "pause_count": f["pause_count"], "speaking_time_s": f["speaking_time_s"],
                    "duration_s": f["duration_s"]}
        position = self._processed_position()
        duration = round(self._received / self.sample_rate, 3)
        pitch = self._last["pitch_hz"]
        level = self._last["dbfs"]
        return {
            "t": duration,
            "loudness_dbfs": round(level, 1) if level is not None else None,
            "pitch_hz": round(pitch, 1) if pitch is not None else None,
            "voiced": bool(self._last["voiced"]),
            "in_pause": self.vad.in_pause(position),
            "pause_count": self.vad.pause_count,
            "speaking_time_s": round(self.vad.speaking_samples(position) / self.sample_rate, 3),
            "duration_s": duration,
        }

    def finish(self) -> dict[str, Any]:
        """Analyse the tail (zero-padded) and return the answer's aggregates; later calls return the same dict."""
        if self._finished is not None:
            return self._finished
        total = self._received
        while self._block_start < total:
            need = self._block_start + BLOCK + self.lookahead - self._buf_end
            if need > 0:
                self._reserve(need)[:] = 0.0
            self._process_block(limit=total)
        if self._pending_start:
            # Zeros past the end for the last marks' correlation windows, then the last mark pass.
            self._reserve(HISTORY)[:] = 0.0
            self._mark_pass()
        self.perturbation.close()
        self._finished = self._aggregates(total)
        return self._finished

    def _aggregates(self, total: int) -> dict[str, Any]:
        sr = self.sample_rate
        vad = self.vad
        speaking = vad.speaking_samples(total)
        enough = self._voiced_frames >= MIN_VOICED_FRAMES
        median = self.pitch_hist.quantile_hz(0.5) if enough else None
        p05, p95 = (self.pitch_hist.quantile_hz(0.05), self.pitch_hist.quantile_hz(0.95)) if enough else (None, None)
        spread = self.pitch_st.std if enough else None
        pitch_range = float(hz_to_semitones(p95) - hz_to_semitones(p05)) if p05 and p95 else None
        loud_std = self.loudness.std
        return {
            "duration_s": round(total / sr, 3),
            "speaking_time_s": round(speaking / sr, 3),
            "silence_fraction": _r(1.0 - speaking / total, 4) if total else None,
            "voiced_fraction": _r(self._voiced_speech_frames / self._speech_frames, 4) if self._speech_frames else None,
            "pause_count": vad.pause_count,
            "pause_total_s": round(vad.pause_total / sr, 3),
            "longest_pause_s": round(vad.longest_pause / sr, 3),
            "long_pause_count": vad.long_pause_count,
            "pauses_over_1s": vad.over_1s_count,
            "pauses": [{"start": round(a / sr, 3), "end": round(b / sr, 3), "duration": round((b - a) / sr, 3)}
                       for a, b in vad.pauses],
            "pitch_median_hz": _r(median, 2),
            "pitch_std_st": _r(spread, 3),
            "pitch_range_st": _r(pitch_range, 3),
            "monotone": (spread < MONOTONE_BELOW_ST) if spread is not None else None,
            "loudness_mean_dbfs": _r(self.loudness.mean, 2) if self.loudness.count else None,
            "loudness_std_db": _r(loud_std, 3) if loud_std is not None else None,
            "jitter_local": _r(self.perturbation.jitter_local, 5),
            "shimmer_local": _r(self.perturbation.shimmer_local, 5),
            "glottal_marks": self.perturbation.mark_count,
            "clipping_fraction": _r(self._clipped / total, 6) if total else 0.0,
            "contour": {"t": list(self._contour_t), "pitch_hz": clean_contour(self._contour_f0),
                        "dbfs": list(self._contour_db)},
        }

    def buffer_sizes(self) -> dict[str, int]:
        """Sizes of everything that could grow with the stream (for the bounded-memory test)."""
        return {"samples": int(self._store.size), "contour": len(self._contour_t), "pauses": len(self.vad.pauses),
                "histogram": int(self.pitch_hist.counts.size), "marks_tail": int(self.perturbation._tail.size)}


def _r(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)
