"""Faults in the distributed mode, for real: our own redis-server (never the machine's), PostgreSQL, two daphne
processes and Celery workers started by bench/distributed.py; a real WebSocket client streams real speech.

- Redis restarted mid-interview: the stream goes on, the answer ends, the workers score it and the socket still
  gets `answer.scored` through the (reconnected) channel layer.
- The `ml` worker's pool process SIGKILLed while it transcribes: late ack + reject_on_worker_lost redeliver the task;
  one result is stored.
- The browser dropping mid-answer and resuming on the other daphne process; a daphne process SIGKILLed mid-answer
  and started again: the client resumes from `received_bytes` and the stored audio equals what was spoken.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from bench.distributed import Stack, create_database, drop_database, fail_if_dead, wait_healthy
from bench.loadgen import load_speech, make_clients

ROOT = Path(__file__).resolve().parents[2]
FRAME = 4096
BYTES_PER_SECOND = 32000
# Generous: building the stack and scoring answers take minutes on a busy 2-core machine.
pytestmark = [pytest.mark.distributed, pytest.mark.slow, pytest.mark.timeout(1800)]


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server with an append-only file, as a broker should run: a restart keeps queued tasks.

    redis-server cannot take a socket bound for it, nor report a port it chose, so the first start tries a port
    that was just free and, if redis exits because something took it meanwhile, another one. Restarts reuse it."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary, self.directory, self.port = binary, directory, 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        for _ in range(1 if self.port else 5):
            port = self.port or unused_port()
            if self._start_on(port):
                self.port = port
                return
            if "Address already in use" not in (self.directory / "redis.log").read_text(errors="replace"):
                break
        fail_if_dead(self.process, self.directory / "redis.log", "redis-server did not start")

    def _start_on(self, port: int, timeout: float = 120) -> bool:
        log_path = self.directory / "redis.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                 "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not accept connections within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture(scope="module")
def own_redis(tool, tmp_path_factory):  # noqa: ANN001, ANN201
    server = RedisServer(tool("redis-server"), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(postgres_url, own_redis, tmp_path_factory):  # noqa: ANN001, ANN201
    database_url = postgres_url.rsplit("/", 1)[0] + f"/ip_fault_{uuid.uuid4().hex[:8]}"
    create_database(database_url)
    stack = Stack(database_url=database_url, redis_url=own_redis.url, var_dir=tmp_path_factory.mktemp("faults"),
                  daphne_count=2,
                  extra_env={"RATE_LIMITS_ENABLED": "0", "LIVE_CAPTIONS": "off", "WHISPER_BEAM_SIZE": "5",
                             # The client streams faster than real time to keep the run short.
                             "AUDIO_MAX_REALTIME_FACTOR": "40"})
    try:
        stack.start(timeout=600)
        yield stack
    finally:
        stack.stop()
        for log in sorted(stack.var_dir.glob("*.log")):
            lines = [line for line in log.read_text(errors="replace").splitlines()
                     if "WARNING" in line or "ERROR" in line or "Error" in line or "succeeded" in line]
            print(f"--- {log.name} ---\n" + "\n".join(lines[-40:]))
        drop_database(database_url)


# --- helpers -------------------------------------------------------------------------------------------------

def answer_row(stack: Stack, answer_id: int) -> dict:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(stack.database_url, row_factory=dict_row) as conn:
        row = conn.execute("SELECT id, status, progress, error, transcript, transcript_engine, audio_bytes, "
                           "audio_name, question_id, feedback_engine, scored_at FROM interviews_answer WHERE id = %s",
                           (answer_id,)).fetchone()
        row["followups"] = conn.execute(
            "SELECT count(*) AS n FROM interviews_sessionquestion q JOIN interviews_sessionquestion a "
            "ON a.session_id = q.session_id AND q.id = %s AND a.position > q.position", (row["question_id"],)
        ).fetchone()["n"]
        events = conn.execute("SELECT count(*) AS n, count(DISTINCT subtopic_id) AS distinct_n "
                              "FROM mastery_masteryevent WHERE answer_id = %s", (answer_id,)).fetchone()
        row["mastery_events"], row["mastery_subtopics"] = events["n"], events["distinct_n"]
    return row


def wait_for_answer(stack: Stack, answer_id: int, *, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    row = answer_row(stack, answer_id)
    while time.monotonic() < deadline and row["status"] not in ("scored", "failed"):
        time.sleep(0.5)
        row = answer_row(stack, answer_id)
    return row


def audio_file(stack: Stack, audio_name: str) -> Path:
    return stack.var_dir / "media" / "audio" / f"{audio_name}.pcm"


def assert_audio_stored(stack: Stack, audio_name: str, pcm: bytes) -> None:
    """Every byte arrived: the raw PCM itself, or (once the answer is transcribed and the PCM compressed for replay)
    its verified compressed copy, which decodes to the same duration."""
    raw = audio_file(stack, audio_name)
    if raw.exists():
        assert raw.read_bytes() == pcm
        return
    from audio.codec import decoded_duration_s, pcm_duration_s

    assert abs(decoded_duration_s(raw.with_suffix(".webm")) - pcm_duration_s(len(pcm))) <= 0.05


class Browser:
    """One candidate's socket: a reader task files every event; helpers wait for a type and stream audio."""

    def __init__(self, client: dict) -> None:
        self.client = client
        self.ws = None
        self.events: asyncio.Queue = asyncio.Queue()
        self.seen: list[dict] = []
        self._reader: asyncio.Task | None = None

    async def connect(self, port: int) -> dict:
        import websockets

        url = f"ws://127.0.0.1:{port}/ws/interview/{self.client['session_id']}/"
        self.ws = await websockets.connect(url, additional_headers={"Cookie": f"sessionid={self.client['cookie']}",
                                                                    # the page's own origin, port included
                                                                    "Origin": f"http://127.0.0.1:{port}"},
                                           open_timeout=30, max_size=2 ** 20)
        self.events = asyncio.Queue()
        self._reader = asyncio.create_task(self._read(self.ws))
        return await self.expect("ready")

    async def _read(self, ws) -> None:  # noqa: ANN001
        try:
            async for raw in ws:
                if isinstance(raw, str):
                    event = json.loads(raw)
                    self.seen.append(event)
                    await self.events.put(event)
        except Exception:  # noqa: BLE001 - the socket died: the test decides whether that was expected
            pass
        await self.events.put({"type": "_closed"})

    async def expect(self, kind: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            event = await asyncio.wait_for(self.events.get(), max(0.1, deadline - time.monotonic()))
            if event["type"] == kind:
                return event
            if event["type"] == "_closed":
                raise AssertionError(f"socket closed while waiting for {kind}")
            assert event["type"] != "error" or event.get("code") in ("answer_in_progress",), event

    async def send(self, payload: dict) -> None:
        await self.ws.send(json.dumps(payload))

    async def stream(self, pcm: bytes, start: int, end: int, *, speed: float = 8.0) -> int:
        """Send pcm[start:end] in 4096-byte frames at `speed` x real time; returns the offset reached."""
        began = time.monotonic()
        offset = start
        while offset < end:
            frame = pcm[offset:min(end, offset + FRAME)]
            delay = began + (offset - start) / BYTES_PER_SECOND / speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.ws.send(frame)
            offset += len(frame)
        return offset

    async def drop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 10)


def one_client(stack: Stack) -> dict:
    return make_clients(stack.env, 1)[0]


def run_django(stack: Stack, code: str, timeout: float = 180) -> str:
    env = {**stack.env, "DJANGO_SETTINGS_MODULE": "interviewprep.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


# --- the faults -----------------------------------------------------------------------------------------------

def test_redis_restarted_mid_interview_loses_no_answer(stack, own_redis) -> None:  # noqa: ANN001
    pcm = load_speech(12.0)
    client = one_client(stack)

    async def scenario() -> tuple[dict, dict]:
        browser = Browser(client)
        await browser.connect(stack.ports[0])
        await browser.send({"type": "answer.start", "question_id": client["question_id"]})
        started = await browser.expect("answer.started")
        half = await browser.stream(pcm, 0, len(pcm) // 2)
        # Down for a few seconds while audio keeps arriving (audio never crosses Redis), then back.
        own_redis.stop()
        half = await browser.stream(pcm, half, half + 3 * BYTES_PER_SECOND, speed=1.5)
        own_redis.start()
        await browser.stream(pcm, half, len(pcm))
        await browser.send({"type": "answer.end"})
        ended = await browser.expect("answer.ended")
        assert ended["received_bytes"] == len(pcm)
        # Scored by the workers (their broker connection re-established) ...
        row = await asyncio.get_running_loop().run_in_executor(None, wait_for_answer, stack, started["answer_id"])
        assert row["status"] == "scored", row
        # ... and pushed to this socket through the channel layer, which re-connected on its own.
        scored = await browser.expect("answer.scored", timeout=240)
        await browser.drop()
        return started, scored, row

    started, scored, row = asyncio.run(scenario())
    assert scored["answer_id"] == started["answer_id"]
    assert row["audio_bytes"] == len(pcm)
    assert_audio_stored(stack, row["audio_name"], pcm)
    assert "country" in row["transcript"].lower()


def test_ml_worker_killed_mid_transcription_is_redelivered_and_stored_once(stack) -> None:  # noqa: ANN001
    import psutil

    pcm = load_speech(40.0)
    out = run_django(stack, f"""
from django.conf import settings
from accounts.models import User
from mastery.models import Subtopic, Topic
from sessions.models import Answer, AnswerStatus, InterviewSession, SessionQuestion
from pipeline.chain import answer_pipeline_enqueue

user = User.objects.create_user(email="kill-{uuid.uuid4().hex[:6]}@example.com", password="x-pass-12345")
topic, _ = Topic.objects.get_or_create(slug="kill-test", defaults={{"name": "Kill test"}})
sub, _ = Subtopic.objects.get_or_create(topic=topic, slug="general", defaults={{"name": "General"}})
session = InterviewSession.objects.create(owner=user, planned_count=1)
question = SessionQuestion.objects.create(session=session, position=1, text="Tell me about a speech.", topic=topic,
                                          subtopic=sub)
answer = Answer.objects.create(question=question, user=user, status=AnswerStatus.PROCESSING, audio_bytes={len(pcm)},
                               duration_s={len(pcm) / BYTES_PER_SECOND}, speaking_time_s=30.0)
answer.audio_path.parent.mkdir(parents=True, exist_ok=True)
print("ANSWER", answer.pk, answer.audio_path)
""")
    answer_id = int(out.split("ANSWER ")[1].split()[0])
    Path(out.split("ANSWER ")[1].split()[1].strip()).write_bytes(pcm)
    run_django(stack, f"from pipeline.chain import answer_pipeline_enqueue; "
                      f"answer_pipeline_enqueue(answer_id={answer_id})")

    # Wait until the transcription step runs in the ml worker's pool process, then kill that process outright.
    worker = psutil.Process(stack.processes["worker-ml"].pid)
    deadline = time.monotonic() + 180
    while answer_row(stack, answer_id)["progress"] != "transcribing":
        assert time.monotonic() < deadline, "transcription never started"
        time.sleep(0.02)
    children = worker.children(recursive=True)
    assert children, "the ml worker has no pool process"
    for child in children:
        child.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()

    row = wait_for_answer(stack, answer_id, timeout=400)
    assert row["status"] == "scored", row
    assert "country" in row["transcript"].lower() and row["transcript_engine"]
    assert row["transcript"].lower().count("ask not what your country") <= 2  # 40 s repeats the 11 s clip ~3.6x
    # Stored once: one mastery event per subtopic the answer touched, at most one follow-up question.
    assert row["mastery_events"] >= 1 and row["mastery_events"] == row["mastery_subtopics"], row
    assert row["followups"] <= 1
    log = (stack.var_dir / "worker-ml.log").read_text(errors="replace")
    assert "SIGKILL" in log or "WorkerLostError" in log, log[-2000:]
    # The killed attempt never finished; the redelivered one finished once.
    done = re.findall(rf"Task audio\.tasks\.answer_transcribe\[[0-9a-f-]+\] succeeded in [0-9.]+s: {answer_id}$", log,
                      flags=re.MULTILINE)
    assert len(done) == 1, done
    assert worker.is_running(), "the worker's main process must survive and replace its pool process"
    assert time.monotonic() - killed_at < 400


def test_browser_drops_mid_answer_and_resumes_on_the_other_daphne(stack) -> None:  # noqa: ANN001
    pcm = load_speech(8.0)
    client = one_client(stack)

    async def scenario() -> tuple[dict, dict, dict]:
        first = Browser(client)
        await first.connect(stack.ports[0])
        await first.send({"type": "answer.start", "question_id": client["question_id"]})
        started = await first.expect("answer.started")
        sent = await first.stream(pcm, 0, len(pcm) // 2)
        await first.drop()

        second = Browser(client)
        ready = await second.connect(stack.ports[1])  # another process: the file on shared disk is the state
        in_progress = ready["answer_in_progress"]
        assert in_progress and in_progress["answer_id"] == started["answer_id"]
        assert in_progress["received_bytes"] == sent  # a clean close flushes every frame
        await second.send({"type": "answer.resume", "answer_id": started["answer_id"]})
        resumed = await second.expect("answer.started")
        await second.stream(pcm, resumed["received_bytes"], len(pcm))
        await second.send({"type": "answer.end"})
        ended = await second.expect("answer.ended")
        await second.drop()
        return started, resumed, ended

    started, resumed, ended = asyncio.run(scenario())
    assert resumed["resumed"] and ended["received_bytes"] == len(pcm)
    row = wait_for_answer(stack, started["answer_id"])
    assert row["status"] == "scored", row
    assert_audio_stored(stack, row["audio_name"], pcm)


def test_daphne_killed_mid_answer_then_the_client_resumes(stack) -> None:  # noqa: ANN001
    pcm = load_speech(10.0)
    client = one_client(stack)
    port = stack.ports[0]

    async def scenario() -> tuple[dict, int, dict, dict]:
        browser = Browser(client)
        await browser.connect(port)
        await browser.send({"type": "answer.start", "question_id": client["question_id"]})
        started = await browser.expect("answer.started")
        sent = await browser.stream(pcm, 0, len(pcm) // 2)
        stack.stop_process(f"daphne-{port}", sig=signal.SIGKILL)  # a crash: no goodbye, no flush
        await asyncio.wait_for(browser._reader, 30)  # the client sees the socket die
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: stack.start_daphne(port, timeout=240))
        await loop.run_in_executor(None, lambda: wait_healthy(
            f"http://127.0.0.1:{port}", timeout=240, process=stack.processes[f"daphne-{port}"],
            log_path=stack.log_path(f"daphne-{port}")))
        again = Browser(client)
        ready = await again.connect(port)
        assert ready["answer_in_progress"]["answer_id"] == started["answer_id"]
        await again.send({"type": "answer.resume", "answer_id": started["answer_id"]})
        resumed = await again.expect("answer.started")
        # The client keeps what it sent until acknowledged, so it re-sends from the server's offset.
        await again.stream(pcm, resumed["received_bytes"], len(pcm))
        await again.send({"type": "answer.end"})
        ended = await again.expect("answer.ended")
        await again.drop()
        return started, sent, resumed, ended

    started, sent, resumed, ended = asyncio.run(scenario())
    lost_in_flight = sent - resumed["received_bytes"]
    # At most the frames in flight: the kernel's socket buffers and the writer's 8 KiB buffer (a few frames).
    assert 0 <= lost_in_flight <= 16 * FRAME, lost_in_flight
    assert resumed["received_bytes"] % 2 == 0
    assert ended["received_bytes"] == len(pcm)
    row = wait_for_answer(stack, started["answer_id"])
    assert row["status"] == "scored", row
    assert_audio_stored(stack, row["audio_name"], pcm)
