#!/usr/bin/env python3
"""Set up and run the product, or its tests, on a fresh machine that has only Python 3.11.

    python3 dev.py run     # venv, install, migrate, load the question bank, serve http://127.0.0.1:8000
    python3 dev.py test    # venv, install (with test tools), then the whole test suite

Both are idempotent: the venv is reused and packages are reinstalled only when a requirements file changes.
Only the standard library is used here, since nothing else is installed yet when it first runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("VENV_DIR", ROOT / ".venv"))
PY = VENV / "bin" / "python"
APT_PACKAGES = {"espeak-ng": "espeak-ng", "sox": "sox", "chromium": "chromium"}


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(cmd: list[str], **kwargs: object) -> None:
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def ensure_venv(*, dev: bool) -> None:
    if sys.version_info[:2] < (3, 11):  # noqa: UP036 - runs on whatever python3 the machine has
        sys.exit("Python 3.11 or newer is required.")
    if not PY.exists():
        say(f"creating virtualenv in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    files = [ROOT / "requirements.txt"] + ([ROOT / "requirements-dev.txt"] if dev else [])
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{'dev' if dev else 'run'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    # torch first and pinned: 2.13.0 is a CPU build on local disk here (elsewhere, point PIP_EXTRA_INDEX_URL at
    # PyTorch's CPU wheel index); letting sentence-transformers pick torch would pull a multi-GB CUDA build.
    say("installing packages (first run: a few minutes)")
    run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "torch==2.13.0"])
    run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(files[-1])])
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
    manage("migrate", "--noinput", env=env)
    manage("load_bank", env=env)
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
    if not port_free(args.host, args.port):
        sys.exit(f"Port {args.port} on {args.host} is taken; pass --port.")
    mode = "distributed" if os.environ.get("REDIS_URL") else "embedded"
    say(f"serving on http://{args.host}:{args.port} (mode: {mode})")
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
