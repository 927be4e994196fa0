"""Prometheus metrics; with PROMETHEUS_MULTIPROC_DIR set, gunicorn workers are summed."""
import os
import time

from flask import g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("contest_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
LATENCY = Histogram("contest_http_request_seconds", "HTTP request latency", ["endpoint"])
JOB_SECONDS = Histogram("contest_job_seconds", "Background job run time", ["kind", "outcome"],
                        buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600))
UPLOAD_BYTES = Counter("contest_upload_bytes_total", "Bytes of video received")
VOTES = Counter("contest_votes_total", "Votes cast and taken back", ["action"])
QUEUE_DEPTH = Gauge("contest_jobs_waiting", "Jobs queued or running", ["state"],
                    multiprocess_mode="livemax")


def init_app(app):
    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(request.method, endpoint, response.status_code).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response


def render(job_counts):
    """The metrics page: this process's (or all workers') metrics plus the queue depth."""
    for state in ("queued", "running"):
        QUEUE_DEPTH.labels(state).set(job_counts.get(state, 0))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
