"""The signal path, pure NumPy/SciPy (no Django): PCM decoding, levels, YIN pitch, voice activity and pauses,
Praat-style jitter and shimmer, running statistics, and the streaming analyzer that combines them."""

from audio.dsp.analyzer import StreamingAnalyzer
from audio.dsp.endpoint import EndPointer, EndpointEvent
from audio.dsp.marks import glottal_marks
from audio.dsp.pcm import Pcm16Decoder, dbfs, power_to_dbfs, rms
from audio.dsp.perturbation import PerturbationAccumulator
from audio.dsp.stats import PitchHistogram, RunningStats, hz_to_semitones
from audio.dsp.vad import EnergyVad
from audio.dsp.yin import YinConfig, yin

__all__ = [
    "EndPointer",
    "EndpointEvent",
    "EnergyVad",
    "Pcm16Decoder",
    "PerturbationAccumulator",
    "PitchHistogram",
    "RunningStats",
    "StreamingAnalyzer",
    "YinConfig",
    "dbfs",
    "glottal_marks",
    "hz_to_semitones",
    "power_to_dbfs",
    "rms",
    "yin",
]
