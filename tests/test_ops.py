"""Health, readiness, metrics, request ids and JSON logs."""
import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from contest import create_app
from contest.ops.logs import RequestIdFilter


def test_healthz_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_database_and_storage(client):
    body = client.get("/readyz").get_json()
    assert body == {"status": "ok", "checks": {"database": "ok", "storage": "ok",
                                               "broker": "ok"}}


def test_readyz_reports_a_dead_broker(app, client):
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    from contest.tasks import celery_init_app

    celery_init_app(app)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["broker"].startswith("error")


def test_readyz_reports_unreachable_s3(s3_app):
    s3_app.config["S3_BUCKET"] = "no-such-bucket"
    s3_app.extensions.pop("storage", None)
    response = s3_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"].startswith("error")


def test_metrics_for_loopback_only_without_a_token(app, client):
    client.get("/healthz")
    local = client.get("/metrics")
    assert local.status_code == 200
    text = local.get_data(as_text=True)
    assert 'contest_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}' in text
    assert "contest_jobs_waiting" in text
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403


def test_metrics_token(app, client):
    app.config["METRICS_TOKEN"] = "s3cret"
    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert ok.status_code == 200


@pytest.mark.parametrize("given, kept", [("abcdef123456", True), ("bad id!", False)])
def test_request_id_is_echoed_or_made(client, given, kept):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert (response.headers["X-Request-ID"] == given) is kept
    assert len(response.headers["X-Request-ID"]) >= 8


def test_json_log_lines_carry_the_request_id(app):
    records = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s"))
    logger = logging.getLogger("contest.test")
    logger.addHandler(handler)
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "req-12345678"}):
            app.preprocess_request()
            logger.warning("hello")
    finally:
        logger.removeHandler(handler)
    line = json.loads(records[-1])
    assert line["message"] == "hello" and line["request_id"] == "req-12345678"


def test_production_logs_are_json_and_need_a_secret(base_config, monkeypatch):
    monkeypatch.setenv("CONTEST_ENV", "production")
    config = {k: v for k, v in base_config.items() if k != "SECRET_KEY"}
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(config)
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    app = create_app(config)
    assert app.config["LOG_FORMAT"] == "json"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("CONTEST_ENV", "development")
    assert create_app(config).config["LOG_FORMAT"] == "text"
