"""A fake Gemini REST server on 127.0.0.1 for tests: the real google-genai SDK talks to it over HTTP.

Speaks `POST /{v1|v1beta}/models/{model}:generateContent` with the `x-goog-api-key` header, as described in
/work/shared/PROTOCOL_NOTES.md. The request must ask for JSON (`responseMimeType`) against a schema
(`responseSchema` or `responseJsonSchema`), or the fake answers 400 INVALID_ARGUMENT like the real API.

Modes (set `server.mode`):
  ok            200 with `server.payload` (a dict) as the candidate's JSON text
  429_then_ok   429 RESOURCE_EXHAUSTED with RetryInfo on the first call, then as ok
  500           500 INTERNAL on every call
  slow          sleeps `server.delay_s` before answering as ok (past the client's timeout)
  invalid_json  200 whose text is not JSON
  wrong_schema  200 with valid JSON of another shape
Every request is recorded in `server.requests` (path, headers, body).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "fake-gemini-key"
MODELS = ("gemini-test",)


def _error(code: int, status: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": details or []}}


class _Handler(BaseHTTPRequestHandler):
    server: FakeGeminiServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's signature
        return

    def _send(self, code: int, body: dict[str, Any] | str) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): nothing to do
            pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."))
            return
        fake = self.server
        with fake.lock:
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            call_number = len(fake.requests)
        if self.headers.get("x-goog-api-key") != API_KEY:
            self._send(400, _error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                                   [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                     "reason": "API_KEY_INVALID"}]))
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) != 3 or parts[0] not in ("v1", "v1beta") or parts[1] != "models" or ":" not in parts[2]:
            self._send(404, _error(404, "NOT_FOUND", f"Unknown path {self.path}"))
            return
        model, _, method = parts[2].partition(":")
        if method != "generateContent":
            self._send(404, _error(404, "NOT_FOUND", f"Method {method} not found."))
            return
        if model not in MODELS:
            self._send(404, _error(404, "NOT_FOUND", f"models/{model} is not found for API version {parts[0]}."))
            return
        config = body.get("generationConfig") or {}
        if config.get("responseMimeType") != "application/json" or not (
                config.get("responseSchema") or config.get("responseJsonSchema")):
            self._send(400, _error(400, "INVALID_ARGUMENT", "Structured output needs a JSON MIME type and schema."))
            return
        mode = fake.mode
        if mode == "429_then_ok" and call_number == 1:
            self._send(429, _error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).",
                                   [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]))
            return
        if mode == "500":
            self._send(500, _error(500, "INTERNAL", "An internal error has occurred."))
            return
        if mode == "slow":
            time.sleep(fake.delay_s)
        if mode == "invalid_json":
            text = '{"scores": {"content": 70, "delivery": 60, "structure": ' + "<truncated"
        elif mode == "wrong_schema":
            text = json.dumps({"answer": "Great job!", "rating": "9/10"})
        else:
            text = json.dumps(fake.payload)
        self._send(200, {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP",
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50, "totalTokenCount": 150},
            "modelVersion": model,
        })


class FakeGeminiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.mode = "ok"
        self.payload: dict[str, Any] = {}
        self.delay_s = 3.0
        self.requests: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGeminiServer:
        self._thread = threading.Thread(target=self.serve_forever, name="fake-gemini", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self, *, mode: str = "ok", payload: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.mode = mode
            self.payload = payload or {}
            self.requests = []


# --- pytest fixtures (import them into a test module: `from tests.fakes.gemini_server import gemini_fake`) ---------

try:
    import pytest
except ImportError:  # pragma: no cover - the fake also serves benches, where pytest may be absent
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def gemini_server():  # noqa: ANN201
        server = FakeGeminiServer().start()
        yield server
        server.stop()

    @pytest.fixture
    def gemini_fake(gemini_server, settings):  # noqa: ANN001, ANN201
        """Point the real SDK at the fake: settings changed, client singleton reset before and after."""
        from interviewprep.gemini import gemini_client

        gemini_server.reset()
        settings.GEMINI_API_KEY = API_KEY
        settings.GEMINI_MODEL = MODELS[0]
        settings.GEMINI_BASE_URL = gemini_server.base_url
        settings.GEMINI_API_VERSION = "v1beta"
        settings.GEMINI_TIMEOUT_S = 2.0
        settings.GEMINI_RETRIES = 2
        settings.GEMINI_RETRY_DELAY_S = 0.05
        gemini_client.reset()
        yield gemini_server
        gemini_client.reset()
