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
    path = answer.audio_path
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
