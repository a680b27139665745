"""Writes of the audio app: the final transcript of an answer and the delivery measures drawn from its words."""

from __future__ import annotations

import logging

from sessions.models import Answer, InputMode

log = logging.getLogger(__name__)


class AudioMissingError(FileNotFoundError):
    """The answer has audio bytes on record but the file is gone, and no transcript was stored."""


def answer_transcribe(*, answer_id: int, force: bool = False) -> Answer:
    """Make the answer's final transcript with local whisper unless a complete one exists, then its word metrics.

    A complete AssemblyAI transcript (stored by the consumer when that engine ran the whole answer) is kept;
    after any AssemblyAI failure the consumer stores none, so local whisper covers the whole stored audio.
    `force` redoes it locally from the file (kept as is when the file is gone).
    """
    from audio.transcription.base import Transcript
    from audio.transcription.speech_metrics import word_metrics
    from audio.transcription.whisper_local import ENGINE as LOCAL_ENGINE
    from audio.transcription.whisper_local import transcribe_file

    answer = Answer.objects.get(pk=answer_id)
    if answer.input_mode == InputMode.TEXT:
        return answer
    Answer.objects.filter(pk=answer_id).update(progress="transcribing")
    # An engine with no words is complete only for an answer without audio (a silent answer from a live engine
    # would otherwise hide whatever whisper can still find in the file).
    have_transcript = bool(answer.transcript_engine) and (bool(answer.words) or not answer.audio_bytes)
    path = answer.stored_audio_path  # the raw PCM, or its compressed copy once the PCM was removed
    file_ok = path.exists() and path.stat().st_size > 0
    duration_s = answer.duration_s or 0.0
    if force or not have_transcript:
        if file_ok:
            transcript = transcribe_file(path)
            answer.transcript = transcript.text
            answer.words = [w.to_dict() for w in transcript.words]
            answer.transcript_engine = transcript.engine
            answer.transcript_confidence = transcript.confidence
            duration_s = duration_s or transcript.duration_s
        elif not answer.audio_bytes:
            answer.transcript, answer.words, answer.transcript_engine = "", [], LOCAL_ENGINE
            answer.transcript_confidence = None
        elif not have_transcript:
            raise AudioMissingError(f"the audio of answer {answer_id} is gone and it has no transcript")
        else:
            log.warning("answer %s: audio file gone; keeping its %s transcript", answer_id, answer.transcript_engine)
    answer.delivery = word_metrics(
        Transcript.from_dict({"text": answer.transcript, "words": answer.words, "engine": answer.transcript_engine,
                              "confidence": answer.transcript_confidence, "duration_s": duration_s}),
        duration_s=duration_s,
        speaking_time_s=answer.speaking_time_s or 0.0,
        pauses=(answer.signal or {}).get("pauses", []),
    )
    answer.save(update_fields=["transcript", "words", "transcript_engine", "transcript_confidence", "delivery"])
    return answer


# The compressed copy must decode to the recorded length within this margin before the raw PCM is removed.
COMPRESS_TOLERANCE_S = 0.05


def answer_audio_compress(*, answer_id: int) -> bool:
    """Compress an ended spoken answer's raw PCM to Opus (audio/codec.py) for replay, verify the copy and remove
    the PCM. Returns whether the answer now has a verified compressed copy.

    Run by the transcription task right after the transcript (Celery, off the event loop), before the answer can
    be scored and offered for replay. The copy is verified by
    decoding it: its duration must be within COMPRESS_TOLERANCE_S of the PCM's. On any failure the PCM is kept and
    the partial copy removed, so nothing is lost; replay then serves the PCM (as WAV) and a later run may retry.
    Idempotent: an answer already compressed, still recording, typed, or whose audio was purged is left alone.
    """
    from audio import codec
    from sessions.models import AnswerStatus

    answer = Answer.objects.get(pk=answer_id)
    if answer.input_mode != InputMode.VOICE or answer.audio_deleted_at is not None:
        return False
    if answer.status == AnswerStatus.RECORDING:
        return False
    source, target = answer.audio_path, answer.replay_path
    if answer.audio_compressed_bytes is not None and target.exists():
        source.unlink(missing_ok=True)  # a crash after the row was stamped but before the unlink
        return True
    if not source.exists() or source.stat().st_size < 2:
        return False
    expected = codec.pcm_duration_s(source.stat().st_size)
    try:
        codec.encode_pcm_to_webm(source, target)
        decoded = codec.decoded_duration_s(target)
    except codec.CodecError as exc:
        target.unlink(missing_ok=True)
        log.warning("answer %s: audio not compressed, raw PCM kept: %s", answer_id, exc)
        return False
    if abs(decoded - expected) > COMPRESS_TOLERANCE_S:
        target.unlink(missing_ok=True)
        log.warning("answer %s: compressed audio decodes to %.3f s, not %.3f s; raw PCM kept", answer_id, decoded,
                    expected)
        return False
    # Stamp first, then unlink: a crash in between leaves both files and a stamped row, which the next run (or
    # purge) cleans up; never a row pointing at a PCM that is gone without a verified copy.
    stamped = (Answer.objects.filter(pk=answer_id, audio_deleted_at__isnull=True)
               .update(audio_compressed_bytes=target.stat().st_size))
    if not stamped:  # purged meanwhile: the copy must not outlive the purge
        target.unlink(missing_ok=True)
        return False
    source.unlink(missing_ok=True)
    return True
