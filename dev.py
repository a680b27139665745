#!/usr/bin/env python3
"""Set up and run the product, or its tests, on a fresh machine that has only Python 3.11.

    python3 dev.py run     # venv, install, migrate, load the question bank, serve http://127.0.0.1:8000
    python3 dev.py test    # venv, install (with test tools), then the whole test suite

Both are idempotent: the venv is reused and packages are reinstalled only when a requirements file changes.
Only the standard library is used here, since nothing else is installed yet when it first runs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("VENV_DIR", ROOT / ".venv"))
PY = VENV / "bin" / "python"
APT_PACKAGES = {"espeak-ng": "espeak-ng", "sox": "sox", "chromium": "chromium"}


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


@contextlib.contextmanager
def step(message: str) -> Iterator[None]:
    """A progress line before a step (what is happening, about how long) and its duration after."""
    say(message)
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    if elapsed >= 1:
        say(f"  done in {int(elapsed // 60)} min {int(elapsed % 60)} s" if elapsed >= 60 else
            f"  done in {elapsed:.0f} s")


# pip warns about every configured find-links or index location that does not exist on this machine; harmless,
# and alarming on a first run. Any other warning or error is shown.
_PIP_NOISE = re.compile(r"^WARNING: Location '.*' is ignored")


def pip_install(*args: str) -> None:
    """pip install with a progress line every few packages instead of pip's own output (hundreds of lines)."""
    command = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", *args]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    collected, tail = 0, []
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        if not line or _PIP_NOISE.match(line):
            continue
        tail = [*tail, line][-40:]
        if line.startswith("Collecting "):
            collected += 1
            if collected % 20 == 0:
                say(f"  {collected} packages resolved so far")
        elif line.startswith("Installing collected packages"):
            count = line.count(",") + 1
            say(f"  downloaded; now installing {count} packages (unpacking is the longest part)")
        elif line.startswith(("ERROR", "WARNING")):
            print(line, flush=True)
    if process.wait() != 0:
        print("\n".join(tail), file=sys.stderr)
        sys.exit(f"pip install {' '.join(args)} failed (its last lines are above)")


def run(cmd: list[str], **kwargs: object) -> None:
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def ensure_venv(*, dev: bool) -> None:
    if sys.version_info[:2] < (3, 11):  # noqa: UP036 - runs on whatever python3 the machine has
        sys.exit("Python 3.11 or newer is required.")
    if not PY.exists():
        with step(f"creating the virtualenv in {VENV} (a few seconds)"):
            venv.EnvBuilder(with_pip=True).create(VENV)
    files = [ROOT / "requirements.txt"] + ([ROOT / "requirements-dev.txt"] if dev else [])
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{'dev' if dev else 'run'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    # torch first and pinned: 2.13.0 is a CPU build on local disk here (elsewhere, point PIP_EXTRA_INDEX_URL at
    # PyTorch's CPU wheel index); letting sentence-transformers pick torch would pull a multi-GB CUDA build.
    first = not any(VENV.glob(".installed-*"))
    with step("installing PyTorch (CPU build, about 200 MB download, 1-2 min on a first run)" if first else
              "installing PyTorch (already there: seconds)"):
        pip_install("torch==2.13.0")
    with step("installing the other packages (about 2.5 GB on disk with PyTorch: CTranslate2, FAISS, "
              "sentence-transformers, Django...; a few minutes on a first run)" if first else
              "updating packages (requirements changed)"):
        pip_install("-r", str(files[-1]))
    stamp.write_text(digest)


def ensure_system_tools() -> None:
    """Test speech (espeak-ng, sox) and the browser (chromium) come from the system's package manager."""
    missing = [pkg for tool, pkg in APT_PACKAGES.items() if shutil.which(tool) is None]
    if not missing:
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        say(f"installing system packages: {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        result = subprocess.run(["apt-get", "install", "-y", "-q", *missing], env=env, capture_output=True)
        if result.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-q", *missing], env=env, check=False)
    still = [tool for tool in APT_PACKAGES if shutil.which(tool) is None]
    if still:
        say(f"not installed: {', '.join(still)}; tests that need them will skip (and fail under CI)")


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    run([str(PY), "manage.py", *args], env=env)


def prepare_app(env: dict[str, str] | None = None) -> None:
    with step("migrating the database (seconds)"):
        manage("migrate", "--noinput", "-v", "0", env=env)
    with step("loading the question bank and building its search index (the first time loads the MiniLM "
              "embedding model and embeds every question: 20-60 s; then seconds)"):
        manage("load_bank", env=env)
    with step("collecting static files (seconds)"):
        manage("collectstatic", "--noinput", "-v", "0", env=env)


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def cmd_run(args: argparse.Namespace) -> None:
    ensure_venv(dev=False)
    Path(os.environ.get("VAR_DIR", ROOT / "var")).mkdir(parents=True, exist_ok=True)
    prepare_app()
    if args.demo_admin:
        manage("ensure_demo_users")
    if args.port and not port_free(args.host, args.port):  # 0: daphne binds a free port and logs it
        sys.exit(f"Port {args.port} on {args.host} is taken; pass --port.")
    mode = "distributed" if os.environ.get("REDIS_URL") else "embedded"
    if not args.demo_admin:
        say("accounts: sign up on the site as a candidate. For an admin, run "
            "`.venv/bin/python manage.py createsuperuser` (then /admin/); an admin makes someone an instructor in "
            "/admin/ > Users > the user > Role: Instructor. `--demo-admin` creates demo accounts instead.")
    say("the speech model (whisper) loads on the first spoken answer: about 5 s once, then it stays loaded")
    say(f"serving on http://{args.host}:{args.port or '<free port, see the log>'} (mode: {mode})")
    os.execv(str(VENV / "bin" / "daphne"), [str(VENV / "bin" / "daphne"), "-b", args.host, "-p", str(args.port),
                                             "interviewprep.asgi:application"])


def cmd_test(args: argparse.Namespace) -> None:
    ensure_venv(dev=True)
    ensure_system_tools()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "interviewprep.settings"}
    # The suite runs on the embedded default (SQLite, in-memory layer); tests that need PostgreSQL or Redis
    # start their own processes against them and skip with a reason when absent (fail when CI is set).
    for var in ("DATABASE_URL", "REDIS_URL", "PRODUCTION"):
        env.pop(var, None)
    pytest = [str(PY), "-m", "pytest", *args.pytest_args]
    result = subprocess.run(pytest, cwd=ROOT, env=env)
    if result.returncode != 0 or args.pytest_args:
        sys.exit(result.returncode)
    sys.exit(postgres_pass(env))


# The database-heavy suites run a second time on PostgreSQL: row locks, constraints and JSON queries behave
# differently there (SQLite accepted a FOR UPDATE across an outer join that PostgreSQL refuses).
POSTGRES_SUITES = ["tests/accounts", "tests/sessions", "tests/mastery", "tests/api", "tests/cohorts",
                   "tests/foundation/test_admin.py", "tests/rag/test_bank_loader.py"]


def postgres_pass(env: dict[str, str]) -> int:
    url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    if port_free("127.0.0.1", 5432):
        message = f"PostgreSQL is not reachable at {url}: the PostgreSQL pass is skipped"
        if os.environ.get("CI"):
            say(message + " (required under CI)")
            return 1
        say(message)
        return 0
    say("second pass of the database-heavy suites on PostgreSQL")
    pg_env = {**env, "DATABASE_URL": url, "DEBUG": "1"}
    command = [str(PY), "-m", "pytest", "-q", "-m", "not slow and not browser and not distributed", *POSTGRES_SUITES]
    return subprocess.run(command, cwd=ROOT, env=pg_env).returncode


def cmd_setup(args: argparse.Namespace) -> None:
    ensure_venv(dev=args.dev)
    if args.dev:
        ensure_system_tools()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_setup = sub.add_parser("setup", help="only install (the run and test commands do this themselves)")
    p_setup.add_argument("--dev", action="store_true", help="also the test tools, browser and speech tools")
    p_setup.set_defaults(func=cmd_setup)
    p_run = sub.add_parser("run", help="set up and serve the product on the embedded default")
    p_run.add_argument("--host", default="127.0.0.1")
    p_run.add_argument("--port", type=int, default=8000)
    p_run.add_argument("--demo-admin", action="store_true",
                       help="create admin@example.com / instructor@example.com / candidate@example.com "
                            "(password: demo-pass-123)")
    p_run.set_defaults(func=cmd_run)
    p_test = sub.add_parser("test", help="set up and run the tests (extra arguments go to pytest)")
    p_test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    p_test.set_defaults(func=cmd_test)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
