"""`/healthz` reports the database, the channel layer and the broker, and says when one is down."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_embedded_is_ok(client) -> None:  # noqa: ANN001
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["mode"] in {"embedded", "distributed", "production"}
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["channel_layer"]["backend"] == "InMemoryChannelLayer"


def test_healthz_reports_a_dead_broker_as_degraded(client, settings) -> None:  # noqa: ANN001
    from interviewprep.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
