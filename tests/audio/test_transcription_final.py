"""The final transcript (whisper_local.transcribe_final): plain words, hesitations merged by time, nothing over
silence, word edges on the VAD's speech; on the real-speech set of tests/data/speech (held-out speakers)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from audio.dsp.files import analyze_pcm
from audio.dsp.vad import speech_segments
from audio.transcription import whisper_local
from audio.transcription.base import Word
from audio.transcription.cleanup import fit_to_speech, merge_hesitations
from audio.transcription.evaluation import normalize, read_manifest, word_errors
from audio.transcription.speech_metrics import align_pauses
from tests.fakes.speech import synthesize
from tests.helpers import silence, to_pcm16

REAL = Path(__file__).resolve().parent.parent / "data" / "speech"


def w(text: str, start: float, end: float) -> Word:
    return Word(text=text, start=start, end=end, probability=0.9)


# --- pure rules ----------------------------------------------------------------------------------------

def test_a_hesitation_only_the_prompted_decode_heard_goes_between_its_neighbours():
    plain = [w("The", 0.0, 0.3), w("latency", 0.3, 1.4), w("dropped.", 1.5, 2.0)]  # "latency" stretched over it
    prompted = [w("The", 0.0, 0.3), w("latency,", 0.3, 0.8), w("uh,", 0.9, 1.1), w("dropped.", 1.5, 2.0)]
    merged = merge_hesitations(plain, prompted)
    assert [x.text for x in merged] == ["The", "latency", "uh,", "dropped."]
    assert merged[1].start <= merged[2].start <= merged[3].start


def test_words_the_prompted_decode_invented_are_not_taken():
    plain = [w("He", 0.0, 0.2), w("mend", 0.2, 0.6), w("it.", 0.6, 0.9)]
    prompted = [w("He", 0.0, 0.2), w("men", 0.2, 0.6), w("it.", 0.6, 0.9), w("Thank", 1.0, 1.2), w("you.", 1.2, 1.4)]
    assert merge_hesitations(plain, prompted) == plain


def test_a_hesitation_where_the_decodes_heard_different_words_is_not_taken():
    # The article in "but a right join" written as a hesitation by the prompted decode, which also lost "a".
    plain = [w("first,", 0.0, 0.4), w("but", 0.9, 1.1), w("a", 1.1, 1.2), w("right", 1.2, 1.5)]
    prompted = [w("first.", 0.0, 0.4), w("But,", 0.9, 1.1), w("er,", 1.1, 1.2), w("right", 1.2, 1.5)]
    assert merge_hesitations(plain, prompted) == plain
    # Between two words both decodes agree on, it is taken.
    prompted = [w("first,", 0.0, 0.4), w("but", 0.9, 1.1), w("a", 1.1, 1.2), w("uh,", 1.2, 1.3), w("right", 1.3, 1.5)]
    assert [x.text for x in merge_hesitations(plain, prompted)] == ["first,", "but", "a", "uh,", "right"]


def test_no_double_hesitation_and_none_far_from_its_place():
    plain = [w("Um,", 0.0, 0.3), w("yes.", 0.4, 0.8), w("It", 5.0, 5.2), w("works.", 5.2, 5.6)]
    prompted = [w("Umm,", 0.0, 0.3), w("yes.", 0.4, 0.8), w("uh", 9.0, 9.2), w("It", 5.0, 5.2), w("works.", 5.2, 5.6)]
    assert merge_hesitations(plain, prompted) == plain


def test_words_over_silence_are_dropped_and_edges_snapped():
    segments = [(0.5, 2.0), (3.5, 5.0)]
    words = [w("first", 0.4, 1.0), w("sentence.", 1.0, 2.9), w("Second", 3.0, 4.0), w("one.", 4.0, 5.0),
             w("Thank", 5.6, 5.8), w("you.", 5.8, 6.1)]
    fitted = fit_to_speech(words, segments)
    assert [x.text for x in fitted] == ["first", "sentence.", "Second", "one."]
    assert fitted[1].end <= 2.0 + 0.08 and fitted[2].start >= 3.5 - 0.08
    pauses = align_pauses(fitted, [{"start": 2.0, "end": 3.5}])
    assert (pauses[0]["word_before"], pauses[0]["word_after"]) == ("sentence.", "Second")
    assert fit_to_speech(words, []) == []


def test_zero_length_words_inside_speech_are_kept():
    assert [x.text for x in fit_to_speech([w("uh,", 1.0, 1.0)], [(0.5, 2.0)])] == ["uh,"]


# --- on audio ------------------------------------------------------------------------------------------

def heldout() -> list[tuple[str, np.ndarray, str]]:
    rows = [r for r in read_manifest(REAL) if r["split"] == "heldout"]
    assert len({r["speaker"] for r in rows}) >= 3
    return [(r["file"], whisper_local.read_audio(REAL / r["file"]), r["transcript"]) for r in rows]


@pytest.mark.slow
def test_final_transcript_is_no_worse_than_plain_whisper_on_held_out_speakers():
    plain_errors = final_errors = 0
    for _name, audio, reference in heldout():
        ref = normalize(reference, drop_fillers=True)
        plain_errors += word_errors(ref, normalize(whisper_local.transcribe_array(audio, prompt=None).text,
                                                   drop_fillers=True))
        final_errors += word_errors(ref, normalize(whisper_local.transcribe_final(audio).text, drop_fillers=True))
    assert final_errors <= plain_errors, (final_errors, plain_errors)


@pytest.mark.slow
def test_nothing_is_transcribed_inside_three_seconds_of_silence():
    for name, audio, _ in heldout()[:4]:
        segments = speech_segments(audio)
        # Cut at the middle of the clip's longest gap between speech (or its middle), insert 3 s of room noise.
        gaps = [(b[0] - a[1], (a[1] + b[0]) / 2) for a, b in itertools.pairwise(segments)]
        cut = int(16000 * (max(gaps)[1] if gaps else len(audio) / 32000))
        spliced = np.concatenate([audio[:cut], silence(3.0), audio[cut:]])
        start, end = cut / 16000, cut / 16000 + 3.0
        words = whisper_local.transcribe_final(spliced).words
        inside = [x for x in words if x.start > start + 0.15 and x.end < end - 0.15]
        assert not inside, (name, inside)
        assert len(words) >= 3


@pytest.mark.slow
def test_silence_alone_gives_no_words():
    assert whisper_local.transcribe_final(silence(4.0)).words == []


@pytest.mark.slow
def test_same_audio_same_transcript_and_filler_count_five_times(tool, tmp_path):
    from audio.transcription.speech_metrics import detect_fillers
    from tests.fakes.speech import FILLER_SENTENCES

    _, real, _ = heldout()[0]
    spoken = whisper_local.read_audio(synthesize(" ".join(FILLER_SENTENCES[:3]), tmp_path / "f.wav", tool))
    # Between runs the model decodes other audio (noise, which sends whisper into its sampling temperature
    # fallback), as a shared worker would: the answer's transcript must not depend on what came before it.
    noise = np.random.default_rng(0).normal(0, 0.05, 16000 * 3).astype(np.float32)
    for audio in (real, spoken):
        runs = []
        for _ in range(5):
            runs.append(whisper_local.transcribe_final(audio))
            whisper_local.transcribe_array(noise, prompt=None)
        assert all(run.to_dict() == runs[0].to_dict() for run in runs)
    counts = {len([f for f in detect_fillers(run.words) if f["kind"] == "filler"]) for run in runs}
    assert len(counts) == 1 and counts.pop() >= 3


@pytest.mark.slow
def test_a_pause_between_two_sentences_is_reported_between_them(tool, tmp_path):
    first = "The cache was too small for the working set."
    second = "So we doubled it and the misses went away."
    a = whisper_local.read_audio(synthesize(first, tmp_path / "a.wav", tool))
    b = whisper_local.read_audio(synthesize(second, tmp_path / "b.wav", tool))
    for gap in (0.6, 1.5):
        audio = np.concatenate([a, silence(gap), b]).astype(np.float32)
        signal = analyze_pcm(to_pcm16(audio))
        words = whisper_local.transcribe_final(audio).words
        pauses = [p for p in align_pauses(words, signal["pauses"]) if p["duration_s"] >= gap - 0.1]
        assert len(pauses) == 1, (gap, signal["pauses"])
        [pause] = pauses
        assert pause["word_before"].lower().strip(".,") == "set", (gap, pause, [x.text for x in words])
        assert pause["word_after"].lower().strip(".,") == "so"
        assert pause["word_index_before"] == pause["word_index_after"] - 1
