"""/healthz (the process answers), /readyz (its dependencies answer), /metrics."""
import hmac
import ipaddress

from flask import Response, abort, current_app, jsonify, request
from sqlalchemy import func, text

from contest.extensions import db
from contest.models import Job
from contest.ops import bp, metrics
from contest.storage import get_storage


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    checks = {"database": _check(_database), "storage": _check(_storage),
              "broker": _check(_broker)}
    ready = all(result == "ok" for result in checks.values())
    return jsonify({"status": "ok" if ready else "unavailable", "checks": checks}), (
        200 if ready else 503)


@bp.get("/metrics")
def metrics_page():
    _check_metrics_access()
    counts = dict(db.session.execute(
        db.select(Job.state, func.count(Job.id)).where(Job.state.in_(("queued", "running")))
        .group_by(Job.state)).all())
    body, content_type = metrics.render(counts)
    return Response(body, content_type=content_type)


def _check_metrics_access():
    """With METRICS_TOKEN set, a bearer token; without it, loopback clients only."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(401)
        return
    try:
        if ipaddress.ip_address(request.remote_addr or "").is_loopback:
            return
    except ValueError:
        pass
    abort(403)


def _check(probe):
    try:
        probe()
    except Exception as error:  # noqa: BLE001 - the readiness page reports any failure
        current_app.logger.warning("readiness check failed: %r", error)
        return f"error: {type(error).__name__}"
    return "ok"


def _database():
    db.session.execute(text("SELECT 1"))


def _storage():
    get_storage().check()


def _broker():
    url = current_app.config["CELERY_BROKER_URL"]
    if not url:
        return
    celery = current_app.extensions["celery"]
    with celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)
