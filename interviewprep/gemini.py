"""Gemini through the `google-genai` SDK: one lazy, lock-guarded client per process and structured JSON calls.

It lives in the project core because apps on different layers use it (the coach, question generation and the tutor
in `rag`, the study plan's wording in `mastery`), and an SDK client belongs to no one feature.

Everything comes from settings (GEMINI_API_KEY, GEMINI_MODEL, GEMINI_BASE_URL, GEMINI_API_VERSION,
GEMINI_TIMEOUT_S, GEMINI_RETRIES): no model name is baked in, since Gemini's model names change often. The SDK's
defaults are no timeout and no retries, so both are set here. Retries go to the SDK's own tenacity loop, limited to
429 and 5xx (its default list also retries 408, which is a client-side fault here). Any failure, including a reply
that is not valid JSON for the schema, raises `GeminiError`: callers fall back to their offline path.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from django.conf import settings
from pydantic import BaseModel, ValidationError

from interviewprep.singletons import LazySingleton

log = logging.getLogger(__name__)

RETRY_STATUS_CODES = [429, 500, 502, 503, 504]
M = TypeVar("M", bound=BaseModel)


class GeminiError(Exception):
    """The call failed or its reply was unusable; `reason` is short and stable (for logs and tests)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason


def gemini_configured() -> bool:
    return bool(settings.GEMINI_API_KEY and settings.GEMINI_MODEL)


def _client_build():  # noqa: ANN202 - genai.Client, imported lazily
    from google import genai
    from google.genai import types

    # Backoff: the first retry after GEMINI_RETRY_DELAY_S, doubling, capped; jitter spreads many workers out.
    initial = settings.GEMINI_RETRY_DELAY_S
    http_options = types.HttpOptions(
        base_url=settings.GEMINI_BASE_URL or None,
        api_version=settings.GEMINI_API_VERSION or None,
        timeout=int(settings.GEMINI_TIMEOUT_S * 1000),
        retry_options=types.HttpRetryOptions(
            attempts=max(1, int(settings.GEMINI_RETRIES) + 1), initial_delay=initial, max_delay=max(initial, 20.0),
            exp_base=2.0, jitter=min(1.0, initial), http_status_codes=RETRY_STATUS_CODES,
        ),
    )
    return genai.Client(api_key=settings.GEMINI_API_KEY, http_options=http_options)


gemini_client = LazySingleton(_client_build, name="gemini-client")


def gemini_generate(*, schema: type[M], system: str, prompt: str) -> M:
    """One structured-output call at temperature 0; the reply is validated against `schema` (a pydantic model)."""
    if not gemini_configured():
        raise GeminiError("not_configured")
    from google.genai import errors, types

    config = types.GenerateContentConfig(
        system_instruction=system, temperature=0.0, candidate_count=1,
        response_mime_type="application/json", response_json_schema=schema.model_json_schema(),
        # No tools are passed; turning automatic function calling off also keeps the SDK from logging it per call.
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    try:
        response = gemini_client.get().models.generate_content(model=settings.GEMINI_MODEL, contents=prompt,
                                                                config=config)
    except errors.APIError as exc:
        raise GeminiError(f"http_{exc.code}", str(exc.message or exc.status or "")[:200]) from exc
    except Exception as exc:  # noqa: BLE001 - timeouts, refused connections, SDK surprises: all mean "fall back"
        raise GeminiError("transport", f"{type(exc).__name__}: {exc}"[:200]) from exc
    text = _reply_text(response)
    if not text:
        raise GeminiError("empty_reply")
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        # Invalid JSON and JSON of the wrong shape both end here (the SDK itself does not raise for them).
        raise GeminiError("invalid_output", str(exc).splitlines()[0][:200]) from exc


def _reply_text(response) -> str:  # noqa: ANN001 - types.GenerateContentResponse
    try:
        return (response.text or "").strip()
    except Exception:  # noqa: BLE001 - .text raises on replies without text parts (safety blocks)
        return ""
