"""Hostile input at the interview socket: thousands of random frames and control messages.

Every message gets handled (an event or silence, never an unhandled exception or a `server_error`), the socket
is never stuck (a clean answer works afterwards), and memory stays bounded.
"""

from __future__ import annotations

import json
import random
import tracemalloc

import pytest
from asgiref.sync import sync_to_async

from tests.audio.test_consumer import connect, make_session, send
from tests.helpers import receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]

KNOWN_ERROR_CODES = {
    "frame_too_large", "empty_frame", "bad_json", "bad_message", "unknown_type", "no_answer", "answer_in_progress",
    "unknown_question", "unknown_answer", "session_closed", "answer_closed", "answer_too_long",
}


@pytest.fixture(autouse=True)
def _socket_settings(settings, monkeypatch):  # noqa: ANN001
    settings.LIVE_CAPTIONS = "off"
    settings.AUDIO_MAX_REALTIME_FACTOR = 1000.0
    monkeypatch.setattr("pipeline.chain.answer_pipeline_enqueue", lambda *, answer_id, force=False: None)
    # The per-second message guards would close the socket long before thousands of messages; raise them so
    # the fuzz reaches the parsing and routing code (the flood guard has its own test).
    monkeypatch.setattr("audio.consumers.MAX_TEXT_PER_SECOND", 10 ** 6)
    monkeypatch.setattr("audio.consumers.MAX_FRAMES_PER_SECOND", 10 ** 6)
    monkeypatch.setattr("audio.consumers.MAX_ERRORS_PER_SECOND", 10 ** 6)


def random_text(rng: random.Random, question_id: int, answer_ids: list[int]) -> str:
    choice = rng.random()
    if choice < 0.15:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 60)))
    if choice < 0.25:
        return json.dumps(rng.choice([[], 3, None, "x", {"no_type": 1}, {"type": 7}]))
    kind = rng.choice(["answer.start", "answer.end", "answer.resume", "ping", "bogus", "answer.start"])
    message: dict = {"type": kind}
    if kind == "answer.start":
        message["question_id"] = rng.choice([question_id, question_id, -1, 0, "1", 2 ** 63, None, 1.5, True])
    elif kind == "answer.resume":
        message["answer_id"] = rng.choice([*answer_ids, 0, -5, "x", 10 ** 12])
    elif kind == "ping":
        message["t"] = rng.choice([1, "x", None, [1], 1e308])
    if rng.random() < 0.05:
        message["padding"] = "p" * rng.randrange(4000, 9000)
    return json.dumps(message)


def random_frame(rng: random.Random) -> bytes:
    size = rng.choice([0, 1, 3, 4095, 4096, 4096, 4096, 8191, 32 * 1024, 32 * 1024 + 1, 40000])
    return rng.randbytes(size)


async def test_random_frames_and_messages_never_break_the_socket(candidate):
    session, question = await sync_to_async(make_session)(candidate)
    communicator, _ = await connect(session.pk, candidate)
    await receive_until(communicator, "ready")
    rng = random.Random(20261124)
    answer_ids: list[int] = []
    events: list[dict] = []
    tracemalloc.start()
    baseline = None
    for i in range(3000):
        if rng.random() < 0.6:
            await communicator.send_to(bytes_data=random_frame(rng) or b"\x00")
        else:
            await communicator.send_to(text_data=random_text(rng, question.pk, answer_ids))
        if i % 50 == 49:
            # Drain what the server said so far; a ping round trip proves every earlier message was handled.
            await send(communicator, {"type": "ping", "t": i})
            while True:
                event = await receive_until(communicator, "pong", collect=events)
                if event["t"] == i:
                    break
            answer_ids += [e["answer_id"] for e in events if e.get("type") == "answer.started"]
            if i == 499:
                baseline = tracemalloc.get_traced_memory()[0]
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    codes = {e["code"] for e in events if e.get("type") == "error"}
    assert "server_error" not in codes, [e for e in events if e.get("code") == "server_error"][:3]
    assert codes <= KNOWN_ERROR_CODES, codes - KNOWN_ERROR_CODES
    assert {"bad_json", "frame_too_large", "bad_message"} <= codes  # the fuzz did reach the validators
    assert baseline is not None and current - baseline < 20 * 2 ** 20, "memory grew by more than 20 MB"

    # Not stuck: end whatever is open, then one clean answer from start to end.
    await send(communicator, {"type": "answer.end"})
    await send(communicator, {"type": "ping", "t": -1})
    while (await receive_until(communicator, "pong"))["t"] != -1:
        pass
    await send(communicator, {"type": "answer.start", "question_id": question.pk})
    started = await receive_until(communicator, "answer.started")
    await communicator.send_to(bytes_data=b"\x00\x00" * 2048)
    await send(communicator, {"type": "answer.end"})
    ended = await receive_until(communicator, "answer.ended")
    assert ended["answer_id"] == started["answer_id"] and ended["received_bytes"] == 4096
    await communicator.disconnect()
