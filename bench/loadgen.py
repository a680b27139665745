"""Load generator: N simulated candidates, each an authenticated WebSocket client streaming real speech at
real-time pace through whole answers, against the embedded default or the distributed mode.

    .venv/bin/python bench/loadgen.py --streams 100 --seconds 20                 # embedded (one daphne)
    .venv/bin/python bench/loadgen.py --streams 100 --mode distributed --daphne 2  # PostgreSQL + Redis + workers
    .venv/bin/python bench/loadgen.py --streams 4 --captions local                # with live local captions

Reports frame-to-metric latency (p50/p95/p99: from sending the newest frame a `metrics` event counts to that
event's arrival, i.e. the server's processing delay; over the whole run, in the steady state, and second by
second), frame staleness (every frame until the first metric that counts it, which adds the server's deliberate
5-per-second metrics pacing), caption latency (from the moment the audio of a caption's last word was sent to the
caption's arrival), errors, and the CPU and memory of the web processes and of the workers. Every request goes to
127.0.0.1 only and the run is bounded in time. The server is started and stopped by this script; the distributed
mode starts its own redis-server and a throwaway PostgreSQL database. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.distributed import Stack, create_database, drop_database, wait_healthy  # noqa: E402

FRAME = 4096
BYTES_PER_SECOND = 32000
SPEECH = Path(os.environ.get("SHARED_SPEECH_DIR") or ROOT.parent / "shared" / "speech")  # as tests/conftest.py

SETUP_SCRIPT = """
import json, sys
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from mastery.models import Topic
from sessions.models import InterviewSession, SessionQuestion

count, tag = int(sys.argv[1]), sys.argv[2]
topic, _ = Topic.objects.get_or_create(slug="load-test", defaults={"name": "Load test"})
out = []
for i in range(count):
    user = User.objects.create_user(email=f"load{i}-{tag}@example.com", password="load-pass-12345")
    session = InterviewSession.objects.create(owner=user, planned_count=1)
    question = SessionQuestion.objects.create(session=session, position=1, text="Tell me about yourself.",
                                              topic=topic)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    out.append({"cookie": store.session_key, "session_id": session.pk, "question_id": question.pk})
print(json.dumps(out))
"""


def load_speech(seconds: float) -> bytes:
    """Real speech (the shared recordings, repeated) cut to `seconds` of PCM16 at 16 kHz."""
    import soundfile

    parts = []
    for name in ("jfk.wav", "harvard_spk1_1.wav", "harvard_spk1_2.wav", "harvard_spk1_3.wav"):
        data, rate = soundfile.read(str(SPEECH / name), dtype="int16")
        assert rate == 16000
        parts.append(data.tobytes())
    pcm = b"".join(parts)
    need = int(seconds * BYTES_PER_SECOND)
    return (pcm * (need // len(pcm) + 1))[:need]


@dataclass
class ClientStats:
    metric_latencies_ms: list[float] = field(default_factory=list)
    metric_staleness_ms: list[float] = field(default_factory=list)
    metric_times: list[float] = field(default_factory=list)  # monotonic send time of each latency sample
    first_frame_at: float | None = None
    end_sent_at: float | None = None
    caption_latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    frames: int = 0
    answers_ended: int = 0


async def run_client(url: str, cookie: str, question_id: int, pcm: bytes, stats: ClientStats,
                     start_delay: float) -> None:
    import websockets

    await asyncio.sleep(start_delay)
    sent_at: list[tuple[int, float]] = []  # (cumulative bytes, monotonic send time)
    stream_start = 0.0
    try:
        # The page's own origin, port included: the socket refuses any other (interviewprep/middleware.py).
        origin = "http://" + urlsplit(url).netloc
        async with websockets.connect(url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": origin},
                                      max_size=2 ** 20, open_timeout=30) as ws:
            ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if ready.get("type") != "ready":
                stats.errors.append(f"no ready: {ready}")
                return
            await ws.send(json.dumps({"type": "answer.start", "question_id": question_id}))
            done = asyncio.Event()

            async def reader() -> None:
                metric_index = 0
                while True:
                    event = json.loads(await ws.recv())
                    now = time.monotonic()
                    kind = event.get("type")
                    if kind == "metrics":
                        received = event.get("received_bytes", 0)
                        # Staleness: every frame this event counts for the first time, including the wait for the
                        # server's metrics pacing (AUDIO_METRICS_PER_SECOND). Latency: the newest frame it counts,
                        # i.e. how long the server took to turn that frame into a metric.
                        newest = None
                        while metric_index < len(sent_at) and sent_at[metric_index][0] <= received:
                            newest = sent_at[metric_index][1]
                            stats.metric_staleness_ms.append((now - newest) * 1000)
                            metric_index += 1
                        if newest is not None:
                            stats.metric_latencies_ms.append((now - newest) * 1000)
                            stats.metric_times.append(newest)
                    elif kind in ("transcript.final", "transcript.partial") and event.get("words"):
                        spoken_end = stream_start + float(event["words"][-1]["end"])
                        stats.caption_latencies_ms.append((now - spoken_end) * 1000)
                    elif kind == "error":
                        stats.errors.append(event.get("code", "error"))
                    elif kind == "answer.ended":
                        stats.answers_ended += 1
                        done.set()
                        return

            reader_task = asyncio.create_task(reader())
            stream_start = stats.first_frame_at = time.monotonic()
            total = 0
            for i in range(0, len(pcm), FRAME):
                frame = pcm[i:i + FRAME]
                # Real-time pace against the stream's own clock, so scheduling jitter does not accumulate.
                target = stream_start + i / BYTES_PER_SECOND
                delay = target - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                total += len(frame)
                sent_at.append((total, time.monotonic()))
                await ws.send(frame)
                stats.frames += 1
            stats.end_sent_at = time.monotonic()
            await ws.send(json.dumps({"type": "answer.end"}))
            await asyncio.wait_for(done.wait(), timeout=60)
            reader_task.cancel()
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error, the run goes on
        stats.errors.append(f"{type(exc).__name__}: {exc}"[:120])


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class ProcessSampler:
    """CPU (percent of one core, summed over each role's processes and their children) and RSS, once a second.

    Roles are named by process (`daphne-8001`, `worker-ml`, ...): daphne processes count as `web`, the rest as
    `workers`, so the web tier's cost stays separate from transcription and scoring.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        import psutil

        self.procs: dict[str, list] = {"web": [], "workers": []}
        for name, pid in pids.items():
            role = "web" if name.startswith("daphne") else "workers"
            try:
                parent = psutil.Process(pid)
                self.procs[role] += [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        self.cpu: dict[str, list[float]] = {role: [] for role in self.procs}
        self.rss_mb: dict[str, list[float]] = {role: [] for role in self.procs}
        for procs in self.procs.values():
            for proc in procs:
                proc.cpu_percent(None)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(1.0)
            for role, procs in self.procs.items():
                cpu = rss = 0.0
                for proc in procs:
                    try:
                        cpu += proc.cpu_percent(None)
                        rss += proc.memory_info().rss / 2 ** 20
                    except Exception:  # noqa: BLE001 - a process that ended counts as zero
                        continue
                self.cpu[role].append(cpu)
                self.rss_mb[role].append(rss)

    def summary(self) -> dict:
        return {role: {"cpu_median_pct": statistics.median(self.cpu[role]) if self.cpu[role] else None,
                       "cpu_max_pct": max(self.cpu[role], default=None),
                       "rss_max_mb": max(self.rss_mb[role], default=None)}
                for role in self.procs if self.procs[role]}


async def drive(ports: list[int], clients: list[dict], pcm: bytes, pids: dict[str, int], ramp_s: float) -> dict:
    stats = [ClientStats() for _ in clients]
    sampler = ProcessSampler(pids)
    stop = asyncio.Event()
    sampler_task = asyncio.create_task(sampler.run(stop))
    started = time.monotonic()
    await asyncio.gather(*[
        run_client(f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/interview/{c['session_id']}/", c["cookie"],
                   c["question_id"], pcm, stats[i], start_delay=ramp_s * i / max(1, len(clients)))
        for i, c in enumerate(clients)])
    stop.set()
    await sampler_task
    metric = [v for s in stats for v in s.metric_latencies_ms]
    staleness = [v for s in stats for v in s.metric_staleness_ms]
    # The latency over the run, second by second: shows whether slow samples come from connecting, the steady
    # state, or the end (answers ending, pipelines starting).
    by_second: dict[int, list[float]] = {}
    for s in stats:
        for sent, latency in zip(s.metric_times, s.metric_latencies_ms, strict=True):
            by_second.setdefault(int(sent - started), []).append(latency)
    profile = {second: round(percentile(values, 95) or 0.0, 1) for second, values in sorted(by_second.items())}
    # Steady state: every stream connected and streaming (from 1 s after the last one started to the first
    # `answer.end`), without the connect burst and the end, when all answers finish within the ramp's seconds.
    starts = [s.first_frame_at for s in stats if s.first_frame_at is not None]
    ends = [s.end_sent_at for s in stats if s.end_sent_at is not None]
    steady: list[float] = []
    if starts and ends and max(starts) + 1.0 < min(ends):
        lo, hi = max(starts) + 1.0, min(ends)
        steady = [latency for s in stats for sent, latency in zip(s.metric_times, s.metric_latencies_ms, strict=True)
                  if lo <= sent < hi]
    captions = [v for s in stats for v in s.caption_latencies_ms]
    errors = [e for s in stats for e in s.errors]
    return {
        "streams": len(clients), "wall_s": round(time.monotonic() - started, 1),
        "frames": sum(s.frames for s in stats), "answers_ended": sum(s.answers_ended for s in stats),
        "metric_ms": {"p50": percentile(metric, 50), "p95": percentile(metric, 95), "p99": percentile(metric, 99),
                      "n": len(metric)},
        "metric_staleness_ms": {"p50": percentile(staleness, 50), "p95": percentile(staleness, 95),
                                "p99": percentile(staleness, 99), "n": len(staleness)},
        "metric_ms_steady": {"p50": percentile(steady, 50), "p95": percentile(steady, 95),
                             "p99": percentile(steady, 99), "n": len(steady)},
        "metric_p95_ms_by_second": profile,
        "caption_ms": {"p50": percentile(captions, 50), "p95": percentile(captions, 95), "n": len(captions),
                       "streams_with_captions": sum(1 for s in stats if s.caption_latencies_ms)},
        "errors": len(errors), "error_kinds": sorted(set(errors))[:10],
        "server": sampler.summary(),
        "machine_load_1m": os.getloadavg()[0],
    }


def make_clients(env: dict[str, str], count: int) -> list[dict]:
    result = subprocess.run([sys.executable, "-c", SETUP_SCRIPT, str(count), uuid.uuid4().hex[:6]], cwd=ROOT,
                            env={**env, "DJANGO_SETTINGS_MODULE": "interviewprep.settings"}, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_embedded(args: argparse.Namespace, pcm: bytes) -> dict:
    var = Path(tempfile.mkdtemp(prefix="loadgen-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    # A fresh VAR_DIR: its own SQLite file, media and indexes, never a developer's var/.
    env.update({"VAR_DIR": str(var), "LIVE_CAPTIONS": "auto" if args.captions == "local" else "off",
                "AUDIO_METRICS_PER_SECOND": "5", "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    for cmd in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *cmd], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    clients = make_clients(env, args.streams)
    port = args.base_port
    log = (var / "daphne.log").open("wb")
    server = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                               "interviewprep.asgi:application"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", timeout=120)
        return asyncio.run(drive([port], clients, pcm, {"daphne": server.pid}, args.ramp))
    finally:
        # Embedded, the answers' transcription and scoring run inside this process after the streams end; a
        # shutdown may wait on them, so it gets a grace period and then a kill.
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        shutil.rmtree(var, ignore_errors=True)  # ~0.5 MB of audio per stream


def start_private_redis(var: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server of our own on a free port, so a run never touches (or is disturbed by) the machine's."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(var)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("redis-server did not start")


def run_distributed(args: argparse.Namespace, pcm: bytes) -> dict:
    var = Path(tempfile.mkdtemp(prefix="loadgen-dist-"))
    database_url = f"{args.postgres_url.rstrip('/')}/ip_load_{uuid.uuid4().hex[:6]}"
    redis_server, redis_url = (None, args.redis_url) if args.redis_url else start_private_redis(var)
    create_database(database_url)
    stack = Stack(database_url=database_url, redis_url=redis_url, var_dir=var,
                  daphne_count=args.daphne, base_port=args.base_port, caption_workers=args.caption_workers,
                  extra_env={"LIVE_CAPTIONS": "auto" if args.captions == "local" else "off",
                             "AUDIO_METRICS_PER_SECOND": "5"})
    try:
        stack.start(timeout=240)
        clients = make_clients(stack.env, args.streams)
        pids = {name: p.pid for name, p in stack.processes.items()}
        return asyncio.run(drive(stack.ports, clients, pcm, pids, args.ramp))
    finally:
        stack.stop()
        drop_database(database_url)
        if redis_server is not None:
            redis_server.terminate()
            redis_server.wait(timeout=20)
        shutil.rmtree(var, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each streamed answer")
    parser.add_argument("--ramp", type=float, default=3.0, help="seconds over which clients connect")
    parser.add_argument("--mode", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--daphne", type=int, default=2, help="daphne processes (distributed)")
    parser.add_argument("--captions", choices=["off", "local"], default="off")
    parser.add_argument("--caption-workers", type=int, default=0,
                        help="distributed: live local captions on this many caption worker processes")
    parser.add_argument("--redis-url", default="", help="distributed: an existing Redis (default: start a private one)")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432",
                        help="distributed: the PostgreSQL server (a throwaway database is created and dropped)")
    parser.add_argument("--base-port", type=int, default=18401)
    args = parser.parse_args()
    pcm = load_speech(args.seconds)
    report = run_embedded(args, pcm) if args.mode == "embedded" else run_distributed(args, pcm)
    report.update({"mode": args.mode, "captions": args.captions, "answer_s": args.seconds,
                   "daphne": 1 if args.mode == "embedded" else args.daphne})
    m, c = report["metric_ms"], report["caption_ms"]
    print(f"{report['mode']} x{report['daphne']} daphne, {report['streams']} streams of {args.seconds:g} s, "
          f"captions {args.captions}")
    print(f"  frame->metric ms  p50 {fmt(m['p50'])}  p95 {fmt(m['p95'])}  p99 {fmt(m['p99'])}  (n={m['n']})")
    sd = report["metric_ms_steady"]
    print(f"  ... steady state  p50 {fmt(sd['p50'])}  p95 {fmt(sd['p95'])}  p99 {fmt(sd['p99'])}  (n={sd['n']}; "
          "all streams connected, before the first answer ends)")
    st = report["metric_staleness_ms"]
    print(f"  frame staleness   p50 {fmt(st['p50'])}  p95 {fmt(st['p95'])}  p99 {fmt(st['p99'])}  "
          "(every frame until a metric counts it; includes the 5/s metrics pacing)")
    print(f"  caption ms        p50 {fmt(c['p50'])}  p95 {fmt(c['p95'])}  streams with captions "
          f"{c['streams_with_captions']}/{report['streams']}")
    print(f"  answers ended {report['answers_ended']}/{report['streams']}  errors {report['errors']} "
          f"{report['error_kinds']}")
    for role, usage in report["server"].items():
        print(f"  {role:8s} CPU median {fmt(usage['cpu_median_pct'])}%  max {fmt(usage['cpu_max_pct'])}%  "
              f"max RSS {fmt(usage['rss_max_mb'])} MB")
    print(f"  machine load (1 min) at the end {report['machine_load_1m']:.2f} on {os.cpu_count()} cores")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
