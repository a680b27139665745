"""Smoke test of a running server (CI runs it against the README's run command on the embedded default).

Waits for /healthz, then as a new user: signs up, edits the profile, starts a typed-answer interview, answers one
question by typing, waits for its feedback, and checks the admin login page. Standard library only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode(errors="replace")

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode(errors="replace")


def server_alive(pid: int | None) -> None:
    """Stop at once when the server process is gone (its log shows why) instead of waiting out the timeout."""
    if pid is None:
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise SystemExit(f"the server process {pid} has exited") from None


def port_from_log(log: str, pid: int | None, timeout: float) -> int:
    """The port the server bound (`dev.py run --port 0` lets daphne choose; it logs the port it listens on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            match = re.search(r"Listening on TCP address [^\s]+:(\d+)", Path(log).read_text(errors="replace"))
        except FileNotFoundError:
            match = None
        if match:
            return int(match.group(1))
        server_alive(pid)
        time.sleep(0.5)
    raise SystemExit(f"the server logged no listening port within {timeout:.0f} s")


def wait_healthy(base: str, timeout: float, pid: int | None = None) -> dict:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        server_alive(pid)
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                return json.loads(response.read())
        except Exception as exc:  # noqa: BLE001 - still starting
            last = str(exc)
            time.sleep(1)
    raise SystemExit(f"server not healthy after {timeout:.0f} s: {last}")


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--server-log", help="read the port from this daphne log (the server ran with port 0)")
    parser.add_argument("--server-pid", type=int, help="fail as soon as this server process exits")
    args = parser.parse_args()
    if args.server_log:
        args.base = f"http://127.0.0.1:{port_from_log(args.server_log, args.server_pid, args.timeout)}"

    health = wait_healthy(args.base, args.timeout, args.server_pid)
    check(health["status"] == "ok", f"/healthz ok ({health['mode']})")
    browser = Browser(args.base)
    status, _, html = browser.get("/")
    check(status == 200 and "Practise" in html, "landing page")
    browser.get("/accounts/signup/")
    email = f"smoke{int(time.time())}@example.com"
    status, url, html = browser.post("/accounts/signup/", {"email": email, "full_name": "Smoke Test",
                                                            "password1": "smoke-pass-4321",
                                                            "password2": "smoke-pass-4321"})
    check(status == 200 and "/accounts/profile/" in url, f"signup as {email}")
    status, url, _ = browser.post("/accounts/profile/", {"full_name": "Smoke Tester", "target_role": "Backend engineer",
                                                         "skills": "Python, SQL", "persona": "friendly",
                                                         "speak_questions": "on"})
    check(status == 200 and "Smoke Tester" in browser.get("/accounts/profile/")[2], "profile edit")
    status, url, html = browser.get("/interviews/new/")
    check(status == 200, "new interview page")
    status, url, html = browser.post("/interviews/new/", {"mode": "technical", "topics": "python", "difficulty": "0",
                                                          "count": "2", "persona": "friendly"})
    match = re.search(r"/interviews/(\d+)/", url)
    check(status == 200 and match is not None, "interview started")
    session_id = match.group(1)
    question_id = re.search(r'data-question-id="(\d+)"', html)
    check(question_id is not None, "room shows a question")
    status, url, html = browser.post(f"/interviews/{session_id}/questions/{question_id.group(1)}/answer/",
                                     {"text": "A generator is a function that yields values lazily, one at a time, "
                                              "keeping its local state between calls, which saves memory for "
                                              "large sequences and lets you build pipelines."})
    answer = re.search(r"/interviews/answers/(\d+)/", url)
    check(answer is not None, "typed answer accepted")
    deadline = time.monotonic() + 120
    state = {}
    while time.monotonic() < deadline:
        state = json.loads(browser.get(f"/interviews/answers/{answer.group(1)}/status")[2])
        if state.get("status") in ("scored", "failed"):
            break
        time.sleep(1)
    check(state.get("status") == "scored", f"feedback ready (content score {state.get('content_score')})")
    status, _, html = browser.get("/admin/login/")
    check(status == 200, "admin login page")
    print("smoke test passed")


if __name__ == "__main__":
    main()
