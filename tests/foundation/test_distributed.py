"""The distributed mode for real: PostgreSQL, Redis (channel layer and Celery broker), daphne and Celery workers
started as separate processes by bench/distributed.py, the same launcher a deployment copies.

Skips with a reason where PostgreSQL or Redis is absent; fails instead under CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bench.distributed import Stack, create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
# Generous: building the stack (migrate, load_bank embeds the bank) takes minutes on a busy 2-core machine.
pytestmark = [pytest.mark.distributed, pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def stack(postgres_url, redis_url, tmp_path_factory):  # noqa: ANN001, ANN201
    import redis

    database_url = postgres_url.rsplit("/", 1)[0] + f"/ip_test_{uuid.uuid4().hex[:8]}"
    create_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    stack = Stack(database_url=database_url, redis_url=redis_url, var_dir=tmp_path_factory.mktemp("dist"),
                  daphne_count=1, extra_env={"RATE_LIMITS_ENABLED": "0"})
    try:
        stack.start(timeout=600)
        yield stack
    finally:
        stack.stop()
        for log in sorted(stack.var_dir.glob("*.log")):
            tail = log.read_text(errors="replace")[-3000:]
            print(f"--- {log.name} ---\n{tail}")
        drop_database(database_url)


def run_django(stack: Stack, code: str, timeout: float = 180) -> str:
    """Run `code` in a fresh Python process configured like the stack (PostgreSQL, Redis); return its stdout."""
    env = {**stack.env, "DJANGO_SETTINGS_MODULE": "interviewprep.settings"}
    prelude = "import django; django.setup()\n"
    result = subprocess.run([sys.executable, "-c", prelude + code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def test_healthz_through_daphne_reports_postgres_and_redis(stack) -> None:  # noqa: ANN001
    import json
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{stack.ports[0]}/healthz", timeout=10) as response:
        body = json.loads(response.read())
    assert body["mode"] == "distributed"
    assert body["checks"]["database"]["engine"] == "postgresql"
    assert body["checks"]["channel_layer"]["backend"] == "RedisChannelLayer"
    assert body["checks"]["broker"]["backend"] == "redis" and body["status"] == "ok"


def test_celery_task_round_trip_through_a_worker_stores_its_result_in_postgres(stack) -> None:  # noqa: ANN001
    out = run_django(stack, """
from django.db import connection
from accounts.models import User
from mastery.models import Topic
from sessions.models import Answer, AnswerStatus, InterviewSession, SessionQuestion
from sessions.tasks import answer_finalize

assert connection.vendor == "postgresql"
user = User.objects.create_user(email="worker-trip@example.com", password="x-pass-12345")
topic, _ = Topic.objects.get_or_create(slug="round-trip", defaults={"name": "Round trip"})
session = InterviewSession.objects.create(owner=user, planned_count=1)
question = SessionQuestion.objects.create(session=session, position=1, text="Q?", topic=topic)
answer = Answer.objects.create(question=question, user=user, status=AnswerStatus.PROCESSING, input_mode="text",
                               transcript="An answer.", content_score=55.0)
result = answer_finalize.delay(answer.pk)
assert result.get(timeout=120) == answer.pk
answer.refresh_from_db()
print("STATUS", answer.status, answer.scored_at is not None, result.status)
""")
    assert "STATUS scored True SUCCESS" in out, out


def test_channel_layer_events_cross_processes_through_redis(stack) -> None:  # noqa: ANN001
    """A task process's `session_notify` reaches a group member listening on the Redis layer elsewhere."""
    out = run_django(stack, """
import asyncio
from channels.layers import get_channel_layer
from sessions.notify import session_group, session_notify

async def main():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(session_group(424242), channel)
    # Send from another thread, as a Celery task would (its own event loop and connection).
    await asyncio.get_running_loop().run_in_executor(None, lambda: session_notify(
        session_id=424242, event={"type": "answer.scored", "answer_id": 7}))
    message = await asyncio.wait_for(layer.receive(channel), timeout=60)
    print("EVENT", message["event"]["type"], message["event"]["answer_id"])

asyncio.run(main())
""")
    assert "EVENT answer.scored 7" in out, out


def test_typed_answer_scored_end_to_end_on_the_distributed_stack(stack) -> None:  # noqa: ANN001
    """The smoke flow (signup, profile, interview, typed answer, feedback) against daphne + workers."""
    result = subprocess.run([sys.executable, "bench/smoke.py", "--base", f"http://127.0.0.1:{stack.ports[0]}",
                             "--timeout", "120"], cwd=ROOT, capture_output=True, text=True, timeout=400,
                            env={**os.environ})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smoke test passed" in result.stdout
