"""Replay: an answer's recording compressed after transcription (and its PCM removed only once verified), served with
range requests to its owner and to an instructor within the cohort rule, in the data export, gone after a purge."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Cohort, CohortMembership
from audio import codec
from audio.services import answer_audio_compress
from sessions.models import Answer
from tests.helpers import speech_with_pauses, to_pcm16

pytestmark = pytest.mark.django_db

SECONDS = 3.37  # not a whole number of Opus frames (20 ms), so any padding would show in the decoded duration
PCM = to_pcm16(speech_with_pauses([("speech", 1.2), ("pause", 0.8), ("speech", SECONDS - 2.0)]))


def spoken(answer_factory, user, **fields) -> Answer:  # noqa: ANN001
    answer = answer_factory(user=user, input_mode="voice", audio_bytes=len(PCM), duration_s=SECONDS,
                            transcript="I built a queue.", **fields)
    answer.audio_path.parent.mkdir(parents=True, exist_ok=True)
    answer.audio_path.write_bytes(PCM)
    return answer


def audio_url(answer: Answer) -> str:
    return reverse("api:answer-audio", args=[answer.pk])


def test_compressed_copy_decodes_to_the_original_duration_and_the_pcm_goes(answer_factory, candidate):
    answer = spoken(answer_factory, candidate)
    assert answer_audio_compress(answer_id=answer.pk) is True
    answer.refresh_from_db()
    assert not answer.audio_path.exists()
    assert answer.audio_compressed_bytes == answer.replay_path.stat().st_size
    assert answer.audio_compressed_bytes < len(PCM) / 5  # compact: Opus at 24 kbit/s against 256 kbit/s of PCM
    assert abs(codec.decoded_duration_s(answer.replay_path) - SECONDS) <= 0.05
    # The copy is the same sound: its loud and quiet stretches line up with the original's.
    decoded = codec.decode_float(answer.replay_path)
    original = np.frombuffer(PCM, dtype="<i2").astype(np.float32) / 32768
    assert abs(len(decoded) - len(original)) <= 0.05 * 16000
    speech, pause = slice(int(0.2 * 16000), int(1.0 * 16000)), slice(int(1.4 * 16000), int(1.8 * 16000))
    assert np.sqrt(np.mean(decoded[speech] ** 2)) > 20 * np.sqrt(np.mean(decoded[pause] ** 2))
    # Idempotent: a second run changes nothing.
    assert answer_audio_compress(answer_id=answer.pk) is True
    assert answer.replay_path.exists()


def test_a_failed_conversion_keeps_the_pcm(answer_factory, candidate):
    answer = spoken(answer_factory, candidate)
    # The encoder writes to `<name>.webm.part`; a directory in its place makes the real write fail.
    answer.replay_path.with_name(answer.replay_path.name + ".part").mkdir()
    assert answer_audio_compress(answer_id=answer.pk) is False
    answer.refresh_from_db()
    assert answer.audio_path.read_bytes() == PCM
    assert not answer.replay_path.exists() and answer.audio_compressed_bytes is None


def test_a_copy_that_does_not_verify_keeps_the_pcm(answer_factory, candidate, monkeypatch):
    answer = spoken(answer_factory, candidate)
    real = codec.decoded_duration_s
    monkeypatch.setattr(codec, "decoded_duration_s", lambda path: real(path) - 0.2)  # a truncated copy
    assert answer_audio_compress(answer_id=answer.pk) is False
    answer.refresh_from_db()
    assert answer.audio_path.read_bytes() == PCM and not answer.replay_path.exists()


def test_retried_transcription_reads_the_compressed_copy(answer_factory, candidate):
    from audio.transcription.whisper_local import read_audio

    answer = spoken(answer_factory, candidate)
    answer_audio_compress(answer_id=answer.pk)
    answer.refresh_from_db()
    assert answer.stored_audio_path == answer.replay_path
    samples = read_audio(answer.stored_audio_path)
    assert abs(len(samples) / 16000 - SECONDS) <= 0.05


@pytest.fixture
def compressed(answer_factory, candidate) -> Answer:  # noqa: ANN001
    answer = spoken(answer_factory, candidate)
    answer_audio_compress(answer_id=answer.pk)
    answer.refresh_from_db()
    return answer


def test_range_requests(client, candidate, compressed):
    client.force_login(candidate)
    body = compressed.replay_path.read_bytes()
    size = len(body)
    whole = client.get(audio_url(compressed))
    assert whole.status_code == 200 and whole.content == body
    assert whole["Content-Type"] == "audio/webm" and whole["Accept-Ranges"] == "bytes"

    part = client.get(audio_url(compressed), HTTP_RANGE="bytes=100-299")
    assert part.status_code == 206 and part.content == body[100:300]
    assert part["Content-Range"] == f"bytes 100-299/{size}" and part["Content-Length"] == "200"
    tail = client.get(audio_url(compressed), HTTP_RANGE="bytes=-50")
    assert tail.status_code == 206 and tail.content == body[-50:]
    assert tail["Content-Range"] == f"bytes {size - 50}-{size - 1}/{size}"
    rest = client.get(audio_url(compressed), HTTP_RANGE="bytes=1000-")
    assert rest.status_code == 206 and rest.content == body[1000:]
    clipped = client.get(audio_url(compressed), HTTP_RANGE=f"bytes=10-{size + 500}")
    assert clipped.status_code == 206 and clipped.content == body[10:]

    for bad in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=300-100", "bytes=abc", "bytes=-0"):
        refused = client.get(audio_url(compressed), HTTP_RANGE=bad)
        assert refused.status_code == 416, bad
        assert refused["Content-Range"] == f"bytes */{size}"
    # A unit other than bytes is ignored (RFC 9110): the whole file.
    assert client.get(audio_url(compressed), HTTP_RANGE="items=0-1").content == body


def test_before_compression_the_pcm_plays_as_wav(client, answer_factory, candidate):
    import wave

    answer = spoken(answer_factory, candidate)
    client.force_login(candidate)
    response = client.get(audio_url(answer))
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as handle:
        assert handle.getframerate() == 16000 and handle.readframes(handle.getnframes()) == PCM
    # A range that straddles the header and the samples.
    part = client.get(audio_url(answer), HTTP_RANGE="bytes=40-59")
    assert part.status_code == 206 and part.content == response.content[40:60]


def test_the_api_names_the_url_and_others_get_404(client, candidate, other_candidate, compressed):
    client.force_login(candidate)
    detail = client.get(reverse("api:answer", args=[compressed.pk])).json()
    assert detail["audio_url"] == "http://testserver" + audio_url(compressed)
    client.force_login(other_candidate)
    assert client.get(audio_url(compressed)).status_code == 404
    assert client.get(audio_url(compressed), HTTP_RANGE="bytes=0-10").status_code == 404
    client.logout()
    assert client.get(audio_url(compressed)).status_code in (401, 403)


def test_typed_and_purged_answers_have_no_audio(client, answer_factory, candidate, compressed):
    typed = answer_factory(user=candidate, input_mode="text", transcript="typed")
    client.force_login(candidate)
    assert client.get(reverse("api:answer", args=[typed.pk])).json()["audio_url"] is None
    assert client.get(audio_url(typed)).status_code == 404

    from sessions.services import answer_audio_purge

    assert answer_audio_purge(older_than_days=0, now=timezone.now() + timedelta(seconds=1)) == 1
    compressed.refresh_from_db()
    assert not compressed.replay_path.exists() and not compressed.audio_path.exists()
    assert client.get(audio_url(compressed)).status_code == 404


def test_instructor_hears_only_within_the_cohort_rule(client, candidate, instructor, other_instructor,
                                                      answer_factory):
    cohort = Cohort.objects.create(owner=instructor, name="Replay cohort")
    CohortMembership.objects.create(cohort=cohort, user=candidate, joined_at=timezone.now() - timedelta(days=1))
    inside = spoken(answer_factory, candidate)
    before = spoken(answer_factory, candidate)
    before.question.session.__class__.objects.filter(pk=before.question.session_id).update(
        created_at=timezone.now() - timedelta(days=3))  # created before the candidate joined

    client.force_login(instructor)
    assert client.get(audio_url(inside)).status_code == 200
    assert client.get(audio_url(before)).status_code == 404
    client.force_login(other_instructor)  # not their cohort
    assert client.get(audio_url(inside)).status_code == 404


def test_export_archive_holds_the_recordings(client, candidate, compressed, answer_factory):
    pending = spoken(answer_factory, candidate)  # not compressed yet: exported as WAV
    client.force_login(candidate)
    response = client.get(reverse("accounts:data_export_archive"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = json.loads(archive.read("data.json"))
        answers = {a["id"]: a for i in document["interviews"] for q in i["questions"] for a in q["answers"]}
        assert archive.read(answers[compressed.pk]["audio_file"]) == compressed.replay_path.read_bytes()
        wav = archive.read(answers[pending.pk]["audio_file"])
        assert wav[:4] == b"RIFF" and wav[44:] == PCM


def test_answer_page_plays_the_same_url_with_timed_words(client, candidate, answer_factory):
    said = "So um I think the cache really helps because the cache keeps hot rows and the cache is basically"
    words = [{"text": t, "start": 0.5 * i, "end": 0.5 * i + 0.4} for i, t in enumerate(said.split(" "))]
    delivery = {"fillers": [{"text": "um", "start": 0.5, "end": 0.9, "index": 1}],
                "hedges": [{"text": "I think", "start": 1.0, "end": 1.9, "index": 2, "length": 2}],
                "hedge_counts": {"I think": 1}}
    answer = spoken(answer_factory, candidate, words=words, delivery=delivery,
                    contour={"t": [0.0, 1.0, 2.0], "pitch_hz": [120, 130, 125], "dbfs": [-30, -28, -29]})
    client.force_login(candidate)
    page = client.get(reverse("interviews:answer", args=[answer.pk])).content.decode()
    assert f'src="{audio_url(answer)}"' in page and "js/replay.js" in page
    assert '<mark class="mark-filler w" title="filler word" data-start="0.500" data-end="0.900">um</mark>' in page
    assert '<span class="w" data-start="2.000" data-end="2.400">the</span>' in page
    assert "data-timeline=" in page  # the charts expose their time axis for the playhead
    assert "<strong>cache</strong> × 3" in page  # said most often
    assert "really × 1" in page and "basically × 1" in page  # weak words


def test_typed_answer_page_has_no_player(client, candidate, answer_factory):
    typed = answer_factory(user=candidate, input_mode="text", transcript="typed")
    client.force_login(candidate)
    page = client.get(reverse("interviews:answer", args=[typed.pk])).content.decode()
    assert "data-replay-audio" not in page and "js/replay.js" not in page


def test_filler_rate_over_the_course_of_the_answer(answer_factory, candidate):
    from sessions.insights import answer_word_insights

    words = [{"text": "word", "start": float(i), "end": float(i) + 0.5} for i in range(41)]  # 0..40.5 s
    fillers = [{"text": "um", "start": t} for t in (1.0, 2.0, 3.0, 35.0)]
    answer = answer_factory(user=candidate, input_mode="voice", words=words, delivery={"fillers": fillers})
    windows = answer_word_insights(answer=answer).filler_windows
    assert [w.fillers for w in windows] == [3, 0, 0, 1]
    assert windows[0].start_s == 0.0 and windows[-1].end_s == 40.5
    assert windows[0].per_minute == pytest.approx(3 / (40.5 / 4) * 60, abs=0.1)


def test_no_replay_while_the_answer_is_in_the_pipeline(client, candidate, answer_factory):
    """The PCM is compressed during transcription: a player must not start on a file that is about to change."""
    answer = spoken(answer_factory, candidate, status="processing")
    client.force_login(candidate)
    assert client.get(reverse("api:answer", args=[answer.pk])).json()["audio_url"] is None
    assert client.get(audio_url(answer)).status_code == 404


def test_the_transcription_step_compresses_and_a_failure_never_fails_it(answer_factory, candidate, monkeypatch):
    from audio import tasks

    monkeypatch.setattr("audio.services.answer_transcribe", lambda *, answer_id, force: None)
    done = spoken(answer_factory, candidate, status="processing")
    assert tasks.answer_transcribe.run(done.pk) == done.pk
    done.refresh_from_db()
    assert done.audio_compressed_bytes and done.replay_path.exists() and not done.audio_path.exists()

    broken = spoken(answer_factory, candidate, status="processing")
    broken.replay_path.with_name(broken.replay_path.name + ".part").mkdir()  # the encoder cannot write
    assert tasks.answer_transcribe.run(broken.pk) == broken.pk
    broken.refresh_from_db()
    assert broken.audio_path.read_bytes() == PCM and broken.audio_compressed_bytes is None
