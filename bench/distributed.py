"""Launch the distributed mode on one machine: N daphne processes, Celery workers for the `default` and
`score,ml` queues, PostgreSQL and Redis (already running). A deployment can copy this (or `Procfile`); the load
generator and the distributed tests use it.

    .venv/bin/python bench/distributed.py --database-url postgres://postgres@127.0.0.1:5432/interviewprep \
        --redis-url redis://127.0.0.1:6379/0 --daphne 2 --base-port 8001

Runs until interrupted. `--create-db` creates the database first (trust auth on 127.0.0.1). `--base-port 0` (the
default of `Stack`, which tests use) lets each daphne bind a free port itself and reads it from its log: a port
picked by probing can be taken by someone else before daphne binds it. A process that dies while starting fails
the start at once with its exit code and the tail of its log.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def create_database(database_url: str) -> None:
    """CREATE DATABASE (dropping an old one of the same name) through the server's maintenance database."""
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    import psycopg

    parsed = urlparse(database_url)
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')


@dataclass
class Stack:
    database_url: str
    redis_url: str
    var_dir: Path
    daphne_count: int = 2
    base_port: int = 0  # 0: every daphne binds a free port of its own choosing (see `ports`)
    ml_concurrency: int = 1
    default_concurrency: int = 2
    caption_workers: int = 0  # >0: live captions on that many `manage.py caption_worker` processes
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)  # the daphne ports, in start order, once they listen

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
        env.update({"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "VAR_DIR": str(self.var_dir),
                    "DEBUG": "0", "PYTHONUNBUFFERED": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"})
        if self.caption_workers:
            env["LIVE_CAPTION_BACKEND"] = "redis"
        env.update(self.extra_env)
        return env

    def manage(self, *args: str) -> None:
        subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def prepare(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--noinput")
        self.manage("load_bank")
        self.manage("collectstatic", "--noinput", "-v", "0")

    def log_path(self, name: str) -> Path:
        return self.var_dir / f"{name}.log"

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        with self.log_path(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log,
                                                    stderr=subprocess.STDOUT, start_new_session=True)
        return self.processes[name]

    def start_worker(self, queue: str) -> None:
        concurrency = self.ml_concurrency if queue == "ml" else self.default_concurrency
        # The ml worker also takes the `score` queue, as the README's command does (interviewprep/celery.py).
        queues = "score,ml" if queue == "ml" else queue
        self._spawn(f"worker-{queue}", [str(VENV_BIN / "celery"), "-A", "interviewprep", "worker", "-Q", queues,
                                        "-c", str(concurrency), "-n", f"{queue}@%h", "--without-gossip",
                                        "--without-mingle", "-l", "info"])

    def start_daphne(self, port: int = 0, *, timeout: float = 120) -> int:
        """Start a daphne on `port` (0: a free one it binds itself) and return the port it listens on.

        The process is named `daphne-<port>` once the port is known, so a test can kill and restart it there."""
        name = f"daphne-starting-{len(self.processes)}"
        process = self._spawn(name, [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                     "interviewprep.asgi:application"])
        bound = wait_listening(process, self.log_path(name), timeout=timeout)
        final = f"daphne-{bound}"
        if self.log_path(final).exists():  # a restart on the same port: keep the earlier life's log
            self.log_path(final).rename(self.log_path(f"{final}-{time.time_ns()}"))
        self.log_path(name).rename(self.log_path(final))  # the process keeps writing to the renamed file
        self.processes[final] = self.processes.pop(name)
        return bound

    def start(self, *, workers: bool = True, timeout: float = 120) -> Stack:
        self.prepare()
        if workers:
            self.start_worker("default")
            self.start_worker("ml")
        for k in range(self.caption_workers):
            self._spawn(f"captions-{k}", [str(VENV_BIN / "python"), "manage.py", "caption_worker", "--name",
                                          f"captions-{k}"])
        for i in range(self.daphne_count):
            port = self.start_daphne(self.base_port + i if self.base_port else 0, timeout=timeout)
            self.ports.append(port)
        for port in self.ports:
            wait_healthy(f"http://127.0.0.1:{port}", timeout=timeout, process=self.processes[f"daphne-{port}"],
                         log_path=self.log_path(f"daphne-{port}"))
        for name in [n for n in self.processes if n.startswith(("worker-", "captions-"))]:
            fail_if_dead(self.processes[name], self.log_path(name), f"{name} died")
        return self

    def stop_process(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_process(name)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def fail_if_dead(process: subprocess.Popen | None, log_path: Path | None, what: str) -> None:
    if process is not None and process.poll() is not None:
        tail = log_tail(log_path) if log_path is not None else ""
        raise RuntimeError(f"{what}: the process exited with code {process.returncode}; its log ends:\n{tail}")


_LISTENING = re.compile(rb"Listening on TCP address [^\s]+:(\d+)")


def wait_listening(process: subprocess.Popen, log_path: Path, *, timeout: float) -> int:
    """The port a daphne reports it listens on (it logs the bound port, also for `-p 0`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = _LISTENING.search(log_path.read_bytes()) if log_path.exists() else None
        if match:
            return int(match.group(1))
        fail_if_dead(process, log_path, "daphne did not start")
        time.sleep(0.2)
    raise RuntimeError(f"daphne did not report a listening port within {timeout:.0f} s; its log ends:\n"
                       f"{log_tail(log_path)}")


def wait_healthy(base: str, *, timeout: float, process: subprocess.Popen | None = None,
                 log_path: Path | None = None) -> None:
    """Poll /healthz until 200; with `process`, fail at once (exit code, log tail) if it dies meanwhile."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        fail_if_dead(process, log_path, f"{base} is down")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except Exception as exc:  # noqa: BLE001 - still starting
            last = exc
        time.sleep(0.5)
    tail = f"; its log ends:\n{log_tail(log_path)}" if log_path is not None else ""
    raise RuntimeError(f"{base} not healthy after {timeout:.0f} s: {last}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "distributed"))
    parser.add_argument("--daphne", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=8001, help="first daphne port; 0 = free ports")
    parser.add_argument("--create-db", action="store_true")
    args = parser.parse_args()
    if args.create_db:
        create_database(args.database_url)
    stack = Stack(database_url=args.database_url, redis_url=args.redis_url, var_dir=Path(args.var_dir),
                  daphne_count=args.daphne, base_port=args.base_port)
    with stack:
        print(f"up: daphne on ports {stack.ports}, workers default + ml; logs in {stack.var_dir}", flush=True)
        try:
            while all(p.poll() is None for p in stack.processes.values()):
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
