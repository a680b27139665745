"""Request bodies are refused by size before anything parses or buffers them (interviewprep/body_limits.py).

The ASGI layer is tested through the real application; the server layer through a real daphne process, whose
memory is measured around an anonymous 150 MB multipart post (it grew by 1.8 GB before the limit existed).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import ApplicationCommunicator

from bench.distributed import fail_if_dead, wait_listening
from interviewprep.asgi import application

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


async def _asgi_post(path: str, chunks: list[bytes], *, declare_length: bool) -> tuple[int, dict, int]:
    """POST through the ASGI app; returns (status, JSON body or {}, how many body chunks the app asked for)."""
    headers = [(b"host", b"testserver"), (b"content-type", b"application/octet-stream")]
    if declare_length:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "scheme": "http", "headers": headers,
             "client": ("127.0.0.1", 5555), "server": ("testserver", 80)}
    communicator = ApplicationCommunicator(application, scope)
    for i, chunk in enumerate(chunks):
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1})
    start = await communicator.receive_output(timeout=20)
    body = b""
    while True:
        message = await communicator.receive_output(timeout=20)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    consumed = len(chunks) - communicator.input_queue.qsize()
    await communicator.wait(timeout=5)
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = {}
    return start["status"], parsed, consumed


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
async def test_a_large_body_to_an_ordinary_route_is_413_with_a_message(declare_length, settings):
    settings.REQUEST_MAX_BYTES = MB
    chunks = [b"x" * 65536] * 40  # 2.5 MB
    status, body, consumed = await _asgi_post("/accounts/login/", chunks, declare_length=declare_length)
    assert status == 413
    assert "larger than this address accepts (1.0 MB)" in body["detail"] and body["code"] == "too_large"
    # Refused without reading the rest: by its header, or as soon as the count passed the cap.
    assert consumed <= (0 if declare_length else 17)


@pytest.mark.django_db(transaction=True)
async def test_upload_routes_take_up_to_the_upload_cap(settings):
    settings.REQUEST_MAX_BYTES = MB
    settings.UPLOAD_MAX_BYTES = 5 * MB
    two_mb = [b"x" * 65536] * 32
    for path in ("/resumes/upload/", "/api/v1/resumes/"):
        status, _, _ = await _asgi_post(path, two_mb, declare_length=True)
        assert status != 413, path  # refused further on (no CSRF token, not signed in), not by size
        status, body, _ = await _asgi_post(path, [b"x" * (6 * MB)], declare_length=True)
        assert status == 413 and body["code"] == "too_large", path


@pytest.mark.django_db(transaction=True)
async def test_small_bodies_pass(settings):
    status, _, _ = await _asgi_post("/accounts/login/", [b"a=1"], declare_length=True)
    assert status == 403  # the CSRF check ran: the limit let it through


# --- a real daphne -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory):  # noqa: ANN001, ANN201
    var = tmp_path_factory.mktemp("bodylimit")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PRODUCTION",
                                                           "DJANGO_SETTINGS_MODULE")}
    env.update({"VAR_DIR": str(var), "PYTHONUNBUFFERED": "1", "DEBUG": "0"})
    log_path = var / "daphne.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", "0",
                                    "interviewprep.asgi:application"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        port = wait_listening(process, log_path, timeout=240)
        yield process, port, log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


def _memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def _post_raw(port: int, head: bytes, body_chunks, *, chunked: bool) -> bytes:  # noqa: ANN001
    """Send a request with a body as fast as the server takes it; return whatever response came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        try:
            sock.sendall(head)
            for chunk in body_chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while the body was still coming: the point
        sock.settimeout(30)
        response = b""
        try:
            while chunk := sock.recv(65536):
                response += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        return response


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_150_mb_anonymous_multipart_post_leaves_server_memory_flat(daphne_server, chunked):
    process, port, log_path = daphne_server
    size = 150 * MB
    boundary = b"----limit"
    part_head = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
                 b"Content-Type: application/octet-stream\r\n\r\n")
    part_tail = b"\r\n--" + boundary + b"--\r\n"
    filler = os.urandom(MB)

    def body():  # noqa: ANN202
        yield part_head
        for _ in range(size // MB):
            yield filler
        yield part_tail

    length = len(part_head) + size + len(part_tail)
    framing = b"Transfer-Encoding: chunked\r\n" if chunked else b"Content-Length: %d\r\n" % length
    head = (b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n" + framing + b"\r\n")
    # Warm up (first request paths, templates), then take the baseline.
    for _ in range(3):
        _post_raw(port, b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n", [b"a=1"],
                  chunked=False)
    before = _memory_kb(process.pid)
    response = _post_raw(port, head, body(), chunked=chunked)
    fail_if_dead(process, log_path, "daphne died on a large body")
    after = _memory_kb(process.pid)
    grown_mb = (max(after["VmHWM"], after["VmRSS"]) - max(before["VmRSS"], before["VmHWM"])) / 1024
    print(f"daphne RSS {before['VmRSS'] / 1024:.0f} MB -> {after['VmRSS'] / 1024:.0f} MB, peak "
          f"{before['VmHWM'] / 1024:.0f} MB -> {after['VmHWM'] / 1024:.0f} MB after a 150 MB post")
    assert grown_mb < 50, f"the server's memory grew by {grown_mb:.0f} MB"
    if response:  # the client may see the reset before the answer; when it sees the answer, it is a 413
        assert response.startswith(b"HTTP/1.1 413"), response[:200]
    # The server still serves.
    ok = _post_raw(port, b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", [],
                   chunked=False)
    assert ok.split(b" ", 2)[1] in (b"200", b"500"), ok[:200]  # 500: this throwaway server has no database
