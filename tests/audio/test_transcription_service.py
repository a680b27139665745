"""`answer_transcribe`: the final transcript of a stored answer (local whisper, or AssemblyAI's kept) and its
delivery measures; the Celery task's failure path when the audio is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.services import AudioMissingError, answer_transcribe
from sessions.models import Answer, AnswerStatus, InputMode, InterviewSession, SessionQuestion
from tests.helpers import read_wav_pcm16

pytestmark = pytest.mark.django_db

# The three long pauses in jfk.wav (50 ms energy blocks more than 25 dB under the peak, measured).
JFK_PAUSES = [{"start": 2.2, "end": 3.25}, {"start": 4.3, "end": 5.4}, {"start": 7.5, "end": 8.15}]


def make_answer(user, **fields) -> Answer:
    from mastery.models import Topic

    topic, _ = Topic.objects.get_or_create(slug="python", defaults={"name": "Python"})
    session = InterviewSession.objects.create(owner=user, planned_count=1)
    question = SessionQuestion.objects.create(session=session, position=1, text="Tell me about a speech.", topic=topic)
    fields.setdefault("status", AnswerStatus.PROCESSING)
    return Answer.objects.create(question=question, user=user, **fields)


def store_audio(answer: Answer, pcm: bytes) -> None:
    answer.audio_path.parent.mkdir(parents=True, exist_ok=True)
    answer.audio_path.write_bytes(pcm)
    answer.audio_bytes = len(pcm)
    answer.save(update_fields=["audio_bytes"])


@pytest.mark.slow
def test_local_transcript_of_a_stored_pcm_answer(candidate, speech_dir: Path):
    pcm = read_wav_pcm16(speech_dir / "jfk.wav")
    answer = make_answer(candidate, duration_s=11.0, speaking_time_s=8.0, signal={"pauses": JFK_PAUSES})
    store_audio(answer, pcm)

    answer_transcribe(answer_id=answer.pk)
    answer.refresh_from_db()
    assert answer.transcript_engine == "whisper-tiny.en"
    assert "ask not what your country can do for you" in answer.transcript.lower().replace(",", "")
    starts = [w["start"] for w in answer.words]
    assert starts == sorted(starts) and answer.words[-1]["end"] <= 11.0
    assert 0 < answer.transcript_confidence <= 1
    delivery = answer.delivery
    n = delivery["word_count"]
    assert n == len(answer.words) >= 20
    # Pace: first word to last (the recording's edges are not counted).
    span = answer.words[-1]["end"] - answer.words[0]["start"]
    assert delivery["pace_span_s"] == pytest.approx(span, abs=0.002) and span < 11.0
    assert delivery["wpm"] == pytest.approx(n / (span / 60), abs=0.1)
    assert delivery["articulation_wpm"] == pytest.approx(n / (8.0 / 60), abs=0.1)
    around = [(p["word_before"].lower().strip(",."), p["word_after"].lower()) for p in delivery["pauses"]]
    assert around == [("americans", "ask"), ("not", "what"), ("you", "ask")]
    assert answer.progress == "transcribing"


def test_a_complete_assemblyai_transcript_is_kept(candidate, tmp_path):
    words = [{"text": "Um,", "start": 0.2, "end": 0.5, "probability": 0.9},
             {"text": "queues.", "start": 0.6, "end": 1.0, "probability": 0.8}]
    answer = make_answer(candidate, duration_s=3.0, speaking_time_s=1.0, transcript="Um, queues.", words=words,
                         transcript_engine="assemblyai", transcript_confidence=0.85)
    store_audio(answer, b"\x00\x00" * 48000)  # the file exists, but the live transcript is complete

    answer_transcribe(answer_id=answer.pk)
    answer.refresh_from_db()
    assert answer.transcript_engine == "assemblyai" and answer.transcript == "Um, queues."
    assert answer.delivery["filler_count"] == 1 and answer.delivery["fillers"][0]["start"] == 0.2
    # Two words over 0.8 s are too few to give a pace (MIN_PACE_SPAN_S); the articulation rate is kept.
    assert answer.delivery["wpm"] is None and answer.delivery["articulation_wpm"] == 120.0


def test_audio_gone_without_a_transcript_raises(candidate):
    answer = make_answer(candidate, duration_s=3.0, audio_bytes=96000)
    with pytest.raises(AudioMissingError):
        answer_transcribe(answer_id=answer.pk)


def test_the_task_marks_the_answer_failed_without_retrying_when_audio_is_gone(candidate):
    from audio.tasks import answer_transcribe as task

    answer = make_answer(candidate, duration_s=3.0, audio_bytes=96000)
    result = task.apply(args=(answer.pk,))
    assert result.failed() and isinstance(result.result, AudioMissingError)
    answer.refresh_from_db()
    assert answer.status == AnswerStatus.FAILED and answer.error.startswith("transcription failed")
    assert result.info is not None and task.request.retries in (0, None)


def test_audio_gone_with_a_transcript_keeps_it_even_when_forced(candidate):
    words = [{"text": "Hello.", "start": 0.1, "end": 0.4, "probability": 0.9}]
    answer = make_answer(candidate, duration_s=1.0, audio_bytes=32000, transcript="Hello.", words=words,
                         transcript_engine="assemblyai")
    answer_transcribe(answer_id=answer.pk, force=True)
    answer.refresh_from_db()
    assert answer.transcript == "Hello." and answer.transcript_engine == "assemblyai"


def test_an_answer_without_audio_gets_an_empty_transcript(candidate):
    answer = make_answer(candidate, duration_s=0.0)
    answer_transcribe(answer_id=answer.pk)
    answer.refresh_from_db()
    assert answer.transcript == "" and answer.words == [] and answer.transcript_engine == "whisper-tiny.en"
    assert answer.delivery["word_count"] == 0 and answer.delivery["wpm"] is None


def test_typed_answers_are_left_alone(candidate):
    answer = make_answer(candidate, input_mode=InputMode.TEXT, transcript="typed words", transcript_engine="typed")
    answer_transcribe(answer_id=answer.pk)
    answer.refresh_from_db()
    assert answer.transcript == "typed words" and answer.delivery == {}


def test_unknown_answer_raises(db):
    with pytest.raises(Answer.DoesNotExist):
        answer_transcribe(answer_id=987654)
