"""Bursts at the edges: N candidates all connecting within `--connect-spread` seconds and all ending their answers
within `--end-spread` seconds, embedded (one daphne process), compared in the same run with the old behaviour.

    OMP_NUM_THREADS=1 .venv/bin/python bench/burst.py --streams 100 --seconds 12 --repeats 2       # edges
    OMP_NUM_THREADS=1 .venv/bin/python bench/burst.py --streams 20 --seconds 8 --score --repeats 1  # scoring
    OMP_NUM_THREADS=1 .venv/bin/python bench/burst.py --mode distributed --configs new --streams 20 --score

Distributed: PostgreSQL (a throwaway database) and a private redis-server, with the README's processes
(bench/distributed.py: daphne, the `default` worker and the ml worker on `score,ml`); reports in addition the time
to the first scored answer. There `old` restores only the edges (the queues are code, not a setting).

Each repeat runs the old configuration (`WS_LEGACY_EDGES=1`: every frame hops to the shared sync thread and the
sockets' queries run there; `EMBEDDED_TASK_ORDER=fifo`: whole chains in arrival order) and the new one, alternating,
each on a fresh server over a copy of one prepared database (bank loaded once). Reported per configuration, as the
median over repeats: frame-to-metric latency over the whole run (p50/p95/p99: from sending the newest frame a
`metrics` event counts to that event's arrival, connect and end bursts included), and with `--score` the time from
`answer.end` to the `answer.scored` push (p50/max); then the ratios old/new. Real speech from ../shared/speech.
Captions are off (the edges, not the captioner, are measured here: bench/loadgen.py --captions local).
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.distributed import Stack, create_database, drop_database, wait_healthy  # noqa: E402
from bench.loadgen import (  # noqa: E402
    BYTES_PER_SECOND,
    FRAME,
    fmt,
    load_speech,
    make_clients,
    percentile,
    start_private_redis,
)

CONFIGS = {
    "old": {"WS_LEGACY_EDGES": "1", "EMBEDDED_TASK_ORDER": "fifo"},
    "new": {"WS_LEGACY_EDGES": "0", "EMBEDDED_TASK_ORDER": "priority"},
}


# The server's CPU seconds while every stream is live (start of the run to the first `answer.end`): a cost that
# other load on a shared machine barely changes, unlike latency.
CPU_MARK: dict = {}


def server_cpu_s(proc) -> float:  # noqa: ANN001
    times = proc.cpu_times()
    return times.user + times.system


@dataclass
class Client:
    latencies_ms: list[float] = field(default_factory=list)
    end_sent_at: float | None = None
    scored_s: float | None = None
    errors: list[str] = field(default_factory=list)


async def run_client(url: str, cookie: str, question_id: int, pcm: bytes, stats: Client, *, start_delay: float,
                     wait_scored: float) -> None:
    import websockets

    await asyncio.sleep(start_delay)
    sent_at: list[tuple[int, float]] = []
    try:
        origin = "http://" + urlsplit(url).netloc
        async with websockets.connect(url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": origin},
                                      max_size=2 ** 20, open_timeout=60) as ws:
            if json.loads(await asyncio.wait_for(ws.recv(), 60)).get("type") != "ready":
                stats.errors.append("no ready")
                return
            await ws.send(json.dumps({"type": "answer.start", "question_id": question_id}))
            ended, scored = asyncio.Event(), asyncio.Event()

            async def reader() -> None:
                index = 0
                while True:
                    event = json.loads(await ws.recv())
                    now = time.monotonic()
                    kind = event.get("type")
                    if kind == "metrics":
                        newest = None
                        while index < len(sent_at) and sent_at[index][0] <= event.get("received_bytes", 0):
                            newest = sent_at[index][1]
                            index += 1
                        if newest is not None:
                            stats.latencies_ms.append((now - newest) * 1000)
                    elif kind == "answer.ended":
                        ended.set()
                    elif kind == "answer.scored" and stats.end_sent_at is not None:
                        stats.scored_s = now - stats.end_sent_at
                        if event.get("status") != "scored":
                            stats.errors.append(f"answer {event.get('status')}")
                        scored.set()
                    elif kind == "error":
                        stats.errors.append(event.get("code", "error"))

            reader_task = asyncio.create_task(reader())
            start = time.monotonic()
            total = 0
            for i in range(0, len(pcm), FRAME):
                delay = start + i / BYTES_PER_SECOND - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                total += len(pcm[i:i + FRAME])
                sent_at.append((total, time.monotonic()))
                await ws.send(pcm[i:i + FRAME])
            stats.end_sent_at = time.monotonic()
            if CPU_MARK.get("at_first_end") is None and CPU_MARK.get("proc") is not None:
                CPU_MARK["at_first_end"] = server_cpu_s(CPU_MARK["proc"])
            await ws.send(json.dumps({"type": "answer.end"}))
            await asyncio.wait_for(ended.wait(), timeout=60)
            if wait_scored:
                try:
                    await asyncio.wait_for(scored.wait(), timeout=wait_scored)
                except TimeoutError:
                    stats.errors.append("not scored in time")
            reader_task.cancel()
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error, the run goes on
        stats.errors.append(f"{type(exc).__name__}: {exc}"[:120])


async def drive(ports: list[int], clients: list[dict], pcm_for: list[bytes], args: argparse.Namespace) -> dict:
    n = len(clients)
    stats = [Client() for _ in clients]
    start_cpu = server_cpu_s(CPU_MARK["proc"]) if CPU_MARK.get("proc") is not None else None
    await asyncio.gather(*[
        run_client(f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/interview/{c['session_id']}/", c["cookie"],
                   c["question_id"], pcm_for[i], stats[i], start_delay=args.connect_spread * i / n,
                   wait_scored=args.score_timeout if args.score else 0)
        for i, c in enumerate(clients)])
    metric = [v for s in stats for v in s.latencies_ms]
    ends = [s.end_sent_at for s in stats if s.end_sent_at is not None]
    scored = [s.scored_s for s in stats if s.scored_s is not None]
    errors = [e for s in stats for e in s.errors]
    frames = sum(len(p) // FRAME for p in pcm_for)
    streaming_cpu = (CPU_MARK.get("at_first_end") - start_cpu) if start_cpu is not None and CPU_MARK.get(
        "at_first_end") is not None else None
    return {"server_cpu_ms_per_frame_streaming": (streaming_cpu * 1000 / frames) if streaming_cpu else None,
            "metric_p50": percentile(metric, 50), "metric_p95": percentile(metric, 95),
            "metric_p99": percentile(metric, 99), "metric_n": len(metric),
            "end_spread_s": (max(ends) - min(ends)) if ends else None,
            "scored_first_s": min(scored) if scored else None,
            "scored_p50_s": percentile(scored, 50), "scored_max_s": max(scored) if scored else None,
            "scored": len(scored), "errors": len(errors), "error_kinds": sorted(set(errors))[:6],
            "load_1m": os.getloadavg()[0]}


def prepare_template(env: dict[str, str], keep: str = "") -> Path:
    """One database with the bank loaded (minutes of embedding), copied for every run; `keep`: a folder that
    holds it across invocations (made on first use)."""
    if keep and (Path(keep) / "db.sqlite3").exists():
        return Path(keep)
    var = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="burst-template-"))
    var.mkdir(parents=True, exist_ok=True)
    env = {**env, "VAR_DIR": str(var)}
    for cmd in (["migrate", "--noinput"], ["load_bank"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *cmd], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return var


def one_run(template: Path, base_env: dict[str, str], config: str, args: argparse.Namespace,
            pcm: bytes) -> dict:
    var = Path(tempfile.mkdtemp(prefix=f"burst-{config}-"))
    shutil.copytree(template, var, dirs_exist_ok=True)
    env = {**base_env, **CONFIGS[config], "VAR_DIR": str(var)}
    clients = make_clients(env, args.streams)
    pcm_for = clip_answers(pcm, len(clients), args)
    log = (var / "daphne.log").open("wb")
    server = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p",
                               str(args.port), "interviewprep.asgi:application"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{args.port}", timeout=180, process=server, log_path=var / "daphne.log")
        import psutil

        CPU_MARK.clear()
        CPU_MARK["proc"] = psutil.Process(server.pid)
        return asyncio.run(drive([args.port], clients, pcm_for, args))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
        shutil.rmtree(var, ignore_errors=True)


def clip_answers(pcm: bytes, n: int, args: argparse.Namespace) -> list[bytes]:
    """Every answer ends within `end_spread` s: a client that connects later streams a shorter answer."""
    out = []
    for i in range(n):
        seconds = args.seconds - args.connect_spread * i / n + args.end_spread * ((i * 7919) % n) / n
        size = int(seconds * BYTES_PER_SECOND)
        out.append(pcm[:size - size % 2])
    return out


def distributed_run(base_env: dict[str, str], config: str, args: argparse.Namespace, pcm: bytes) -> dict:
    import uuid

    var = Path(tempfile.mkdtemp(prefix=f"burst-dist-{config}-"))
    database_url = f"{args.postgres_url.rstrip('/')}/ip_burst_{uuid.uuid4().hex[:6]}"
    redis_server, redis_url = start_private_redis(var)
    create_database(database_url)
    extra = {k: v for k, v in base_env.items() if k in ("LIVE_CAPTIONS", "AUDIO_METRICS_PER_SECOND")}
    stack = Stack(database_url=database_url, redis_url=redis_url, var_dir=var, daphne_count=args.daphne,
                  extra_env={**extra, **CONFIGS[config]})
    try:
        stack.start(timeout=300)
        clients = make_clients(stack.env, args.streams)
        return asyncio.run(drive(stack.ports, clients, clip_answers(pcm, len(clients), args), args))
    finally:
        stack.stop()
        drop_database(database_url)
        redis_server.terminate()
        redis_server.wait(timeout=20)
        shutil.rmtree(var, ignore_errors=True)


def median_of(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=12.0, help="answer length of the first client")
    parser.add_argument("--connect-spread", type=float, default=2.0)
    parser.add_argument("--end-spread", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--score", action="store_true", help="also wait for every answer to be scored")
    parser.add_argument("--score-timeout", type=float, default=180.0)
    parser.add_argument("--configs", default="old,new")
    parser.add_argument("--port", type=int, default=18471)
    parser.add_argument("--template", default="", help="keep the prepared database in this folder across runs")
    parser.add_argument("--mode", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--daphne", type=int, default=1, help="daphne processes (distributed)")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL",
                                                                 "DJANGO_SETTINGS_MODULE")}
    base_env.update({"LIVE_CAPTIONS": "off", "AUDIO_METRICS_PER_SECOND": "5", "DEBUG": "0",
                     "ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_SETTINGS_MODULE": "interviewprep.settings"})
    pcm = load_speech(args.seconds + args.end_spread + 1)
    template = prepare_template(base_env, args.template) if args.mode == "embedded" else None
    configs = args.configs.split(",")
    runs: dict[str, list[dict]] = {c: [] for c in configs}
    try:
        for repeat in range(args.repeats):
            for config in configs:
                result = (one_run(template, base_env, config, args, pcm) if template is not None
                          else distributed_run(base_env, config, args, pcm))
                runs[config].append(result)
                print(f"repeat {repeat + 1} {config}: {json.dumps(result)}", flush=True)
    finally:
        if template is not None and not args.template:
            shutil.rmtree(template, ignore_errors=True)
    daphne = 1 if args.mode == "embedded" else args.daphne
    print(f"\n{args.streams} streams {args.mode} (daphne x{daphne}), captions off, connecting within "
          f"{args.connect_spread:g} s, ending "
          f"within {args.end_spread:g} s, answers ~{args.seconds:g} s; medians over {args.repeats} repeat(s)")
    keys = ["metric_p50", "metric_p95", "metric_p99", "server_cpu_ms_per_frame_streaming"]
    keys += ["scored_first_s", "scored_p50_s", "scored_max_s"] if args.score else []
    summary = {c: {k: median_of(runs[c], k) for k in keys} for c in configs}
    for config in configs:
        s = summary[config]
        line = "  ".join(f"{k} {fmt(s[k])}" for k in keys)
        errors = sum(r["errors"] for r in runs[config])
        print(f"  {config:4s} {line}  errors {errors}")
    if {"old", "new"} <= set(configs):
        ratios = {k: (summary["old"][k] / summary["new"][k]) if summary["old"][k] and summary["new"][k] else None
                  for k in keys}
        print("  old/new " + "  ".join(f"{k} {fmt(v)}x" if v else f"{k} —" for k, v in ratios.items()))
    print(f"  machine load (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(json.dumps({"args": vars(args), "summary": summary, "runs": runs}))


if __name__ == "__main__":
    main()
