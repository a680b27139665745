import logging

from celery import shared_task

from audio.services import AudioMissingError
from pipeline.steps import AnswerStepTask

log = logging.getLogger(__name__)


# A missing audio file will not come back: fail at once (the answer is marked failed) instead of retrying.
@shared_task(base=AnswerStepTask, bind=True, name="audio.tasks.answer_transcribe", step="transcription",
             dont_autoretry_for=(AudioMissingError,))
def answer_transcribe(self: AnswerStepTask, answer_id: int, force: bool = False) -> int:
    from audio.services import answer_audio_compress
    from audio.services import answer_transcribe as transcribe

    transcribe(answer_id=answer_id, force=force)
    # The raw PCM is no longer needed once transcribed: compress it for replay here, before the answer can be
    # scored, so the recording a page or an API client sees never changes under a player seeking in it (a WAV that
    # became a WebM mid-playback answered ranges of the wrong file). About 1 s per minute of audio; any failure
    # keeps the PCM and never fails the step.
    try:
        answer_audio_compress(answer_id=answer_id)
    except Exception:
        log.exception("answer %s: compressing the audio failed; the raw PCM is kept", answer_id)
    return answer_id
