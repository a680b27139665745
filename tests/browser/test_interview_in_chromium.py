"""The product as a candidate meets it: headless Chromium with a fake microphone that "speaks" real recordings.

A real daphne server on the embedded default (its own SQLite file, local whisper and MiniLM, the offline coach) and
Debian's Chromium driven by Playwright. The candidate signs up, starts an interview, answers two questions by voice
(the fake capture device plays ../shared/speech), answers the first one again, watches meters and captions move,
reads the feedback (the attempts compared on the first screen, replay synchronised with the marked transcript) and
the report. axe-core (tests/browser/vendor/axe.min.js) checks the room, the feedback page and the report for
serious or critical accessibility violations. Screenshots of every page go to $ARTIFACTS_DIR/screenshots/
(default var/artifacts/screenshots/), kept by CI as artifacts.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.distributed import wait_healthy
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "var" / "artifacts") / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def fake_mic_wav(speech_dir, tool, tmp_path_factory) -> Path:  # noqa: ANN001
    """jfk.wav, a second of silence and a Harvard sentence, at 48 kHz as Chromium's fake device wants."""
    sox = tool("sox")
    out = tmp_path_factory.mktemp("mic") / "answer.wav"
    subprocess.run([sox, str(speech_dir / "jfk.wav"), str(speech_dir / "harvard_spk1_1.wav"), "-r", "48000", "-c",
                    "1", "-b", "16", str(out), "pad", "0", "1"], check=True)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # noqa: ANN001, ANN201
    var = tmp_path_factory.mktemp("server-var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PRODUCTION",
                                                             "DJANGO_SETTINGS_MODULE")}
    env.update({"VAR_DIR": str(var), "RATE_LIMITS_ENABLED": "0", "PYTHONUNBUFFERED": "1"})
    python = sys.executable
    for args in (["migrate", "--noinput"], ["load_bank"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([python, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    log = (var / "server.log").open("wb")
    process = subprocess.Popen([str(Path(python).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                "interviewprep.asgi:application"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", timeout=120)
        yield {"base": f"http://127.0.0.1:{port}", "db": var / "db.sqlite3", "log": var / "server.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        print((var / "server.log").read_text(errors="replace")[-5000:])


def chromium_with_mic(wav: Path):  # noqa: ANN201
    """Headless Chromium whose microphone plays `wav` (a generator: the browser, closed afterwards)."""
    require(Path(CHROMIUM).exists(), "Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        ])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser(fake_mic_wav):  # noqa: ANN001, ANN201
    yield from chromium_with_mic(fake_mic_wav)


def shot(page, name: str) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def answer_by_voice(page, seconds: float, *, keyboard: bool = False) -> dict:  # noqa: ANN001
    """Start an answer, let the fake microphone speak, stop; return what the live panel showed. With `keyboard`,
    the answer is started and stopped from the keyboard alone (focus, Enter)."""
    if keyboard:
        page.focus("#start-answer")
        page.keyboard.press("Enter")
    else:
        page.click("#start-answer")
    page.wait_for_selector("#stop-answer:not([hidden])", timeout=15000)
    seen = {"loudness": set(), "pace": set(), "captions": ""}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen["loudness"].add(page.inner_text("[data-value=loudness]"))
        seen["pace"].add(page.inner_text("[data-value=pace]"))
        time.sleep(0.5)
    seen["captions"] = page.inner_text("#captions-final") + " " + page.inner_text("#captions-partial")
    if keyboard:
        page.focus("#stop-answer")
        page.keyboard.press("Enter")
    else:
        page.click("#stop-answer")
    return seen


def axe_violations(page, name: str) -> list[str]:  # noqa: ANN001
    """axe-core's serious and critical violations on the page as it is now ("rule: target" lines). Evaluated over
    the DevTools protocol, so the page's CSP (no inline scripts) stays on for everything else."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    (SHOTS.parent / "axe").mkdir(parents=True, exist_ok=True)
    (SHOTS.parent / "axe" / f"{name}.json").write_text(json.dumps(result, indent=1))
    return [f"{name}: {v['id']} ({v['impact']}: {v['help']}) at {v['nodes']}" for v in result
            if v["impact"] in BLOCKING_IMPACTS]


def replay_follows_the_transcript(page) -> None:  # noqa: ANN001
    """The answer page's player (static/js/replay.js): clicking a word seeks there and plays, the highlighted word
    follows playback, and the arrow keys move the highlight through the words."""
    page.wait_for_function("() => document.querySelector('[data-replay-audio]').readyState >= 1", timeout=30000)
    duration = page.evaluate("document.querySelector('[data-replay-audio]').duration")
    assert 8 < duration < 20, f"the recording plays for {duration} s, not the ~13 s spoken"
    words = page.locator("[data-replay-transcript] .w[data-start]")
    assert words.count() > 10
    target = words.nth(3)
    start = float(target.get_attribute("data-start"))
    target.click()
    page.wait_for_function(f"() => document.querySelector('[data-replay-audio]').currentTime > {start + 1.0}",
                           timeout=15000)
    shot(page, "07b-answer-replay")
    highlighted = float(page.get_attribute("[data-replay-transcript] .w.is-current", "data-start") or -1)
    assert highlighted > start, "the highlight did not follow playback"
    page.evaluate("document.querySelector('[data-replay-audio]').pause()")
    page.focus("[data-replay-transcript]")
    page.keyboard.press("ArrowLeft")
    after_key = float(page.get_attribute("[data-replay-transcript] .w.is-current", "data-start") or -1)
    assert after_key < highlighted, "ArrowLeft did not move to the previous word"


def mark_a_filler(db_path: Path, row: tuple) -> list[str]:
    """The filler words the first answer's page must mark. The fake microphone's recordings hold no "um" or "uh",
    so when transcription found none, one of the answer's own words is stored as a filler (as the transcriber
    stores them: word index and time) and the page must mark exactly that word."""
    delivery, words = json.loads(row[5] or "{}"), json.loads(row[6] or "[]")
    fillers = delivery.get("fillers") or []
    if not fillers:
        word = words[5]
        fillers = [{"kind": "filler", "text": word["text"].strip(), "index": 5, "start": word["start"],
                    "end": word["end"]}]
        delivery["fillers"] = fillers
        with sqlite3.connect(db_path) as db:
            db.execute("UPDATE interviews_answer SET delivery = ? WHERE id = ?", (json.dumps(delivery), row[0]))
    texts = []
    for filler in fillers:
        index, length = filler.get("index"), filler.get("length") or 1
        texts += [w["text"].strip() for w in words[index:index + length]] if isinstance(index, int) else []
    return texts


@pytest.mark.timeout(600)  # three answers scored on a shared two-core machine; ~5 minutes when it is quiet
def test_candidate_answers_by_voice_and_reads_feedback_and_report(server, browser) -> None:  # noqa: ANN001
    try:
        candidate_journey(server, browser)
    finally:
        for context in browser.contexts:
            for page in context.pages:
                shot(page, f"zz-last-state-{browser.contexts.index(context)}")


def candidate_journey(server: dict, browser) -> None:  # noqa: ANN001
    base = server["base"]
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=base)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))

    page.goto("/")
    shot(page, "01-landing")
    page.goto("/accounts/signup/")
    shot(page, "02-signup")
    page.fill("input[name=email]", "voice@example.com")
    page.fill("input[name=full_name]", "Vera Voice")
    page.fill("input[name=password1]", "Tr1cky-Signal-77")
    page.fill("input[name=password2]", "Tr1cky-Signal-77")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/profile/**")
    shot(page, "03-profile")

    page.goto("/interviews/new/")
    page.check("input[name=topics][value=python]")
    page.fill("input[name=count]", "2")
    shot(page, "04-new-interview")
    page.click("text=Start the interview")
    page.wait_for_url(re.compile(r"/interviews/\d+/$"), timeout=120000)  # the first start loads MiniLM
    page.wait_for_selector("#connection-status[data-state=ok]", timeout=15000)
    shot(page, "05-room")
    violations = axe_violations(page, "room")
    session_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    first = answer_by_voice(page, 13.0, keyboard=True)
    shot(page, "06-room-after-answer")
    assert len(first["loudness"]) > 2, f"the loudness meter never moved: {first['loudness']}"
    page.wait_for_selector("#next-question:not([hidden])", timeout=180000)
    page.click("#next-question")
    second = answer_by_voice(page, 6.0)
    assert len(second["loudness"]) > 1
    violations += axe_violations(page, "room-answered")
    # A second attempt at the first question (typed, through the room's own endpoint, so it is scored while the
    # spoken ones are): the first answer's page compares the two.
    with sqlite3.connect(server["db"]) as db:
        (first_question,) = db.execute("SELECT id FROM interviews_sessionquestion WHERE session_id = ? AND "
                                       "position = 1", (session_id,)).fetchone()
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    retyped = page.request.post(f"/interviews/{session_id}/questions/{first_question}/answer/", form={
        "text": "Fixtures give each test its setup and teardown, for example a temporary database that is created "
                "once and shared. Parametrize runs one test over many inputs, so each case is reported on its own."},
        headers={"X-CSRFToken": csrf, "Accept": "application/json"})
    assert retyped.status == 201, retyped.text()

    # The server received what the microphone played: duration and words.
    deadline = time.monotonic() + 240
    rows: list[tuple] = []
    while time.monotonic() < deadline:
        with sqlite3.connect(server["db"]) as db:
            rows = db.execute(
                "SELECT a.id, a.status, a.audio_bytes, a.duration_s, a.transcript, a.delivery, a.words "
                "FROM interviews_answer a "
                "JOIN interviews_sessionquestion q ON a.question_id = q.id WHERE q.session_id = ? ORDER BY a.id",
                (session_id,)).fetchall()
        if len(rows) == 3 and all(r[1] in ("scored", "failed") for r in rows):
            break
        time.sleep(2)
    assert [r[1] for r in rows] == ["scored", "scored", "scored"], [r[:4] for r in rows]
    first_answer = rows[0]
    assert first_answer[2] > 16000 * 2 * 8, "less than 8 s of audio arrived for a 13 s answer"
    assert abs(first_answer[2] / 32000 - first_answer[3]) < 0.05
    assert "country" in first_answer[4].lower(), f"the transcript does not match jfk.wav: {first_answer[4]!r}"
    assert first["captions"].strip(), "no live captions appeared"

    fillers = mark_a_filler(server["db"], first_answer)
    page.goto(f"/interviews/answers/{first_answer[0]}/")
    page.wait_for_selector("main")
    page.screenshot(path=str(SHOTS / "07a-answer-first-screen.png"))  # what the candidate sees before scrolling
    attempts = page.locator("[data-attempts]").bounding_box()
    assert attempts is not None and attempts["y"] < 900, f"the attempts start below the first screen: {attempts}"
    assert page.locator("[data-attempts] .attempt").count() == 2
    assert page.locator("[data-verdict-fix]").is_visible() and page.locator("[data-verdict-best]").is_visible()
    marked = page.locator("[data-replay-transcript] mark.mark-filler").all_inner_texts()
    assert sorted(marked) == sorted(fillers), f"fillers marked {marked}, stored {fillers}"
    page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true; })")
    shot(page, "07-answer-feedback")
    violations += axe_violations(page, "feedback")
    assert "country" in page.content().lower()
    replay_follows_the_transcript(page)

    page.goto(f"/interviews/{session_id}/")
    page.click("text=Finish and get the report")
    page.wait_for_url(f"**/interviews/{session_id}/report/**")
    # The page reloads itself when the report is ready (static/js/status-poll.js).
    page.wait_for_selector("[data-score=content]", timeout=180000)
    shot(page, "08-report")
    violations += axe_violations(page, "report")
    assert not violations, "\n".join(violations)
    page.fill("#share-note", "my mentor")
    page.click("text=Make a link")
    shared_url = page.locator("[data-share-url]").first.input_value()
    mentor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # no login
    response = mentor.goto(shared_url)
    assert response is not None and response.status == 200 and mentor.locator("[data-shared]").is_visible()
    assert mentor.locator("a[href*='/interviews/answers/']").count() == 0
    shot(mentor, "08b-shared-report")
    mentor.context.close()

    page.goto("/accounts/profile/")
    page.fill("input[name=title]", "Backend engineer")
    page.fill("textarea[name=text]", "We hire a backend engineer. Requirements: Python and Django, PostgreSQL, "
                                     "REST API design, Docker. Nice to have: Redis and Celery.")
    page.click("text=Save job description")
    page.wait_for_url("**/jobs/*/fit/", timeout=60000)
    assert "match" in page.content()
    shot(page, "15-job-fit")

    for name, path in (("09-history", "/interviews/"), ("10-dashboard", "/dashboard/"), ("11-mastery", "/mastery/"),
                       ("12-study-plan", "/mastery/plan/"), ("13-tutor", "/tutor/")):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        shot(page, name)

    assert not console_errors, console_errors
    context.close()

    anonymous = browser.new_context(base_url=base).new_page()
    anonymous.goto("/accounts/login/")
    shot(anonymous, "14-login")
