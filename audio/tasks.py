from celery import shared_task

from audio.services import AudioMissingError
from sessions.pipeline import AnswerStepTask


# A missing audio file will not come back: fail at once (the answer is marked failed) instead of retrying.
@shared_task(base=AnswerStepTask, bind=True, name="audio.tasks.answer_transcribe", step="transcription",
             dont_autoretry_for=(AudioMissingError,))
def answer_transcribe(self: AnswerStepTask, answer_id: int, force: bool = False) -> int:
    from audio.services import answer_transcribe as transcribe

    transcribe(answer_id=answer_id, force=force)
    return answer_id
