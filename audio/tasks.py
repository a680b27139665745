from celery import shared_task

from sessions.pipeline import AnswerStepTask


@shared_task(base=AnswerStepTask, bind=True, name="audio.tasks.answer_transcribe", step="transcription")
def answer_transcribe(self: AnswerStepTask, answer_id: int, force: bool = False) -> int:
    from audio.services import answer_transcribe as transcribe

    transcribe(answer_id=answer_id, force=force)
    return answer_id
