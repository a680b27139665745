"""A hands-free interview in Chromium: one click on Start, then three questions asked, answered and ended with no
clicks, a barge-in, and an end-of-answer countdown cancelled by speaking.

The real server (daphne, local whisper, MiniLM, the offline coach) and Chromium's fake microphone looping a WAV of
real recorded speech with known silences (tests/data/speech): sentence, 1.0 s thinking pause (shorter than the
1.8 s setting: the countdown shows and the next sentence cancels it), sentence, 4.5 s of silence (the server ends
the answer).

What is not real: the interviewer's voice. Headless Chromium on Debian has no speech-synthesis voices (every
utterance fails with `synthesis-failed` within milliseconds, so the room falls back to text only, as designed), so
nothing would be speaking to interrupt. The page gets a stand-in `speechSynthesis` that "speaks" for a time
proportional to the text and records `cancel()`; everything else in the barge-in path is the product's own
(microphone frames, the onset detector, the interviewer stopping, the answer opening with the audio before it).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.browser.test_interview_in_chromium import chromium_with_mic, server, shot  # noqa: F401 - `server` is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]  # server setup is slow on a busy machine
SPEECH = Path(__file__).resolve().parents[1] / "data" / "speech"

# A speech engine stand-in (see the module docstring): the first utterance lasts 7 s so the microphone's first
# sentence certainly arrives while it speaks; later ones 45 ms a character, 1-6 s.
TTS_STAND_IN = """
(() => {
  const log = { spoken: [], cancelledWhileSpeaking: 0 };
  let current = null, timer = null;
  const finish = () => { const u = current; current = null; clearTimeout(timer); if (u && u.onend) u.onend(); };
  window.__tts = log;
  Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
    get speaking() { return current !== null; },
    get pending() { return false; },
    getVoices() { return [{ name: "stand-in", lang: "en-US" }]; },
    speak(u) {
      finish();
      const ms = log.spoken.length === 0 ? 7000 : Math.min(6000, Math.max(1000, 45 * u.text.length));
      log.spoken.push(u.text);
      current = u;
      if (u.onstart) u.onstart();
      timer = setTimeout(finish, ms);
    },
    cancel() { if (current) { log.cancelledWhileSpeaking += 1; finish(); } },
    pause() {}, resume() {},
  }});
})();
"""

# What the page heard from the server and showed, recorded from before Start.
RECORDER = """
(() => {
  const seen = window.__seen = { ended: [], ending: 0, cancelled: 0, countdownShown: 0 };
  const s = window.__room.socket;
  s.addEventListener("answer.ended", (e) => seen.ended.push({ id: e.detail.answer_id, reason: e.detail.reason }));
  s.addEventListener("answer.ending", () => { seen.ending += 1; });
  s.addEventListener("answer.ending_cancelled", () => { seen.cancelled += 1; });
  new MutationObserver(() => { if (!document.getElementById("end-countdown").hidden) seen.countdownShown += 1; })
    .observe(document.getElementById("end-countdown"), { attributes: true, attributeFilter: ["hidden"] });
})();
"""


@pytest.fixture(scope="module")
def hands_free_mic(tool, tmp_path_factory) -> Path:  # noqa: ANN001
    """Two real recorded sentences of the repository's speech set, cut to their sound, a 1.0 s thinking pause
    between them and 4.5 s of silence after: at 48 kHz, looped by Chromium's fake capture device."""
    sox = tool("sox")
    folder = tmp_path_factory.mktemp("hf-mic")
    parts = []
    for name, start, end in (("arctic_a0007", 0.35, 3.5), ("forever_input_2", 0.1, 3.25)):
        part = folder / f"{name}.wav"
        subprocess.run([sox, str(SPEECH / f"{name}.wav"), str(part), "trim", str(start), f"={end}"], check=True)
        parts.append(part)
    gap, tail = folder / "gap.wav", folder / "tail.wav"
    for path, seconds in ((gap, 1.0), (tail, 4.5)):
        subprocess.run([sox, "-n", "-r", "16000", "-c", "1", "-b", "16", str(path), "trim", "0", str(seconds)],
                       check=True)
    out = folder / "answer.wav"
    subprocess.run([sox, str(parts[0]), str(gap), str(parts[1]), str(tail), "-r", "48000", "-c", "1", "-b", "16",
                    str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def hf_browser(hands_free_mic):  # noqa: ANN001, ANN201
    yield from chromium_with_mic(hands_free_mic)


def sign_up_and_start_hands_free(page, *, email: str, name: str, count: int) -> None:  # noqa: ANN001
    """A new candidate starts a hands-free Python interview of `count` questions and waits for the room."""
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=full_name]", name)
    page.fill("input[name=password1]", "Tr1cky-Signal-77")
    page.fill("input[name=password2]", "Tr1cky-Signal-77")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/profile/**")
    page.goto("/interviews/new/")
    page.check("input[name=topics][value=python]")
    page.fill("input[name=count]", str(count))
    page.check("input[name=hands_free]")
    page.click("text=Start the interview")
    page.wait_for_url(re.compile(r"/interviews/\d+/$"), timeout=120000)
    page.wait_for_selector("#connection-status[data-state=ok]", timeout=15000)


def answers_of(db: Path, session_id: int) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT a.id, a.question_id, a.status, a.input_mode, a.transcript FROM interviews_answer a "
            "JOIN interviews_sessionquestion q ON a.question_id = q.id WHERE q.session_id = ? ORDER BY a.id",
            (session_id,)).fetchall()


def test_a_whole_hands_free_interview_needs_no_click_after_start(server, hf_browser) -> None:  # noqa: ANN001, F811
    base = server["base"]
    context = hf_browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=base)
    context.add_init_script(TTS_STAND_IN)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_up_and_start_hands_free(page, email="handsfree@example.com", name="Hana Free", count=3)
        assert page.inner_text("#hands-free-badge") == "Hands-free"
        session_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        page.evaluate(RECORDER)

        page.click("#start-answer")  # the only click
        started = time.monotonic()
        page.wait_for_function("() => window.__room.state.phase === 'recording'", timeout=20000)
        assert page.is_hidden("#start-answer")
        shot(page, "hf-01-recording")
        # Barge-in: the first sentence from the microphone arrived while the interviewer was still reading.
        assert page.evaluate("window.__room.state.bargeIns") == 1
        assert page.evaluate("window.__tts.cancelledWhileSpeaking") >= 1
        assert not page.evaluate("window.speechSynthesis.speaking")

        page.wait_for_function("() => window.__seen.ended.length >= 3", timeout=150000, polling=500)
        seen = page.evaluate("window.__seen")
        shot(page, "hf-02-after-three")
        assert [e["reason"] for e in seen["ended"][:3]] == ["silence"] * 3, seen
        # The 1.0 s thinking pause showed the countdown and speaking cancelled it: never an end in the pause.
        assert seen["cancelled"] >= 1 and seen["countdownShown"] >= 1, seen
        spoken = page.evaluate("window.__tts.spoken")
        assert len([t for t in spoken if "?" in t]) >= 3, spoken  # three questions read, then a fourth or the end

        rows = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            rows = answers_of(server["db"], session_id)[:3]
            if len(rows) == 3 and all(r[2] in ("scored", "failed") for r in rows):
                break
            time.sleep(1)
        assert len({r[1] for r in rows}) == 3, f"three different questions were answered: {rows}"
        assert [r[2] for r in rows] == ["scored"] * 3 and all(r[3] == "voice" for r in rows), rows
        # The answers begin with the first words, not cut by the time it took to open them (the pre-roll).
        words = " ".join(r[4].lower() for r in rows)
        assert "superlative" in words or "forever" in words, words
        assert not errors, errors
        print(f"hands-free: 3 answers in {time.monotonic() - started:.0f} s after Start; events {seen}")
    finally:
        shot(page, "hf-zz-last")
        context.close()


def test_hands_free_with_the_microphone_refused_goes_on_with_typed_answers(server, hf_browser) -> None:  # noqa: ANN001, F811
    """A refused microphone is a failure path, not a dead end: the questions are still read, typed answers are
    submitted and the next question follows without a Next click."""
    base = server["base"]
    context = hf_browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.add_init_script(TTS_STAND_IN)
    context.add_init_script("navigator.mediaDevices.getUserMedia = () => "
                            "Promise.reject(new DOMException('denied', 'NotAllowedError'));")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_up_and_start_hands_free(page, email="typed-free@example.com", name="Tia Typed", count=2)
        page.click("#start-answer")
        page.wait_for_selector("#typed-form:not([hidden])", timeout=10000)
        assert "denied" in page.inner_text("#room-alert").lower()
        first = page.evaluate("window.__room.state.currentId")
        page.wait_for_function("() => window.__tts.spoken.length >= 1")
        page.fill("#typed-text", "A fixture builds what a test needs and parametrize runs one test over many inputs.")
        page.click("#typed-form button[type=submit]")
        # Scored, thanked, and the next question is read without a click on Next.
        page.wait_for_function(f"() => window.__room.state.currentId !== {first} && "
                               "['asking', 'listening'].includes(window.__room.state.phase)", timeout=90000)
        # The next question is read as the room enters "asking": wait for the voice, not just the state.
        page.wait_for_function("() => window.__tts.spoken.length >= 3", timeout=15000)
        spoken = page.evaluate("window.__tts.spoken")
        assert len(spoken) >= 3, spoken  # question 1, the thanks, question 2
        assert page.is_hidden("#next-question")
        assert not errors, errors
    finally:
        shot(page, "hf-typed-last")
        context.close()
