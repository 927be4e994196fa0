"""Background work: threads inside the web process by default, Celery when a broker is set.

A job's state lives in its database row. Whoever runs it must first claim the row
(queued, or running but orphaned); a worker that dies leaves the row to be claimed
again, and the work itself is safe to repeat.
"""
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, update

from contest import clock
from contest.extensions import db
from contest.models import Job
from contest.ops.metrics import JOB_SECONDS

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


class PermanentFailure(Exception):
    """Retrying cannot help (the file itself is bad); the message is for the filmmaker."""


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def create_job(film=None, kind="transcode", email=None):
    job = Job(film=film, kind=kind, email=email)
    db.session.add(job)
    return job


def enqueue(job_id, delay_s=0):
    """Hand a committed job to the configured runner."""
    app = current_app._get_current_object()
    if app.config["CELERY_BROKER_URL"]:
        from contest.tasks import run_job_task

        run_job_task.apply_async(args=[job_id], countdown=delay_s)
    else:
        thread_runner(app).submit(job_id, delay_s)


def claim(job_id, worker):
    """Take the job if it is queued or its runner is gone; True when this caller got it."""
    now = clock.now()
    stmt = (
        update(Job)
        .where(Job.id == job_id, claimable())
        .values(state="running", attempts=Job.attempts + 1, worker=worker,
                started_at=now, heartbeat_at=now, error=None)
    )
    claimed = db.session.execute(stmt).rowcount == 1
    db.session.commit()
    return claimed


def report(job_id, progress=None, stage=None):
    """Record progress and prove the runner is alive (a heartbeat)."""
    values = {"heartbeat_at": clock.now()}
    if progress is not None:
        values["progress"] = max(0, min(100, int(progress)))
    if stage is not None:
        values["stage"] = stage[:80]
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


def run_job(job_id, worker=None):
    """Run one job to its end; returns 'done', 'retry', 'failed' or 'busy' (someone else has it)."""
    if not claim(job_id, worker or worker_name()):
        return "busy"
    job = db.session.get(Job, job_id)
    started = time.monotonic()
    outcome = _run_claimed(job)
    JOB_SECONDS.labels(job.kind, outcome).observe(time.monotonic() - started)
    return outcome


def _run_claimed(job):
    job_id = job.id
    try:
        handler(job.kind)(job)
    except PermanentFailure as error:
        db.session.rollback()
        return _fail(job_id, str(error))
    except Exception as error:  # noqa: BLE001 - any crash is retried, then reported
        db.session.rollback()
        log.exception("job %s failed (attempt %s)", job_id, job.attempts)
        if db.session.get(Job, job_id).attempts >= MAX_ATTEMPTS:
            message = getattr(error, "public_message", None) or (
                "We could not process this film. An organizer can retry it.")
            return _fail(job_id, message, detail=repr(error))
        _set_state(job_id, "queued", error=repr(error)[:2000])
        return "retry"
    stage = "Refused" if job.film is not None and job.film.status == "rejected" else "Ready"
    _set_state(job_id, "done", progress=100, stage=stage, finished_at=clock.now())
    return "done"


def retry_job(job_id):
    """An organizer's retry of a failed job: a fresh round of attempts."""
    job = db.session.get(Job, job_id)
    job.state, job.attempts, job.error, job.progress = "queued", 0, None, 0
    job.stage = "Waiting for a free encoder"
    job.film.status, job.film.error = "processing", None
    db.session.commit()
    enqueue(job.id)


def backoff_s(attempts):
    return min(300, 5 * 2 ** max(0, attempts - 1))


def handler(kind):
    """The function that does a kind of job; it takes the Job row."""
    if kind == "email":
        from contest.operations.notifications import deliver_email_job

        return deliver_email_job
    from contest.media.pipeline import process_film_job

    return {"transcode": process_film_job}[kind]


def claimable():
    """Queued, or running with a heartbeat too old for its runner to be alive."""
    stale = clock.now() - timedelta(seconds=current_app.config["JOB_STALE_S"])
    orphaned = and_(Job.state == "running",
                    or_(Job.heartbeat_at < stale, Job.heartbeat_at.is_(None)))
    return or_(Job.state == "queued", orphaned)


def pending_job_ids():
    """Jobs a runner should pick up."""
    return list(db.session.scalars(db.select(Job.id).where(claimable()).order_by(Job.id)))


def _fail(job_id, message, detail=None):
    job = db.session.get(Job, job_id)
    job.state, job.finished_at = "failed", clock.now()
    job.error = detail or message
    job.stage = "Failed"
    if job.film is not None:
        job.film.status, job.film.error = "failed", message
    db.session.commit()
    if job.film is not None:
        from contest.operations.notifications import film_processed

        film_processed(job.film)
    return "failed"


def _set_state(job_id, state, **values):
    db.session.execute(update(Job).where(Job.id == job_id).values(state=state, **values))
    db.session.commit()


class ThreadRunner:
    """The embedded runner: a small thread pool inside the web process."""

    def __init__(self, app, threads):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="contest-job")
        self.idle = threading.Condition()
        self.active = 0

    def submit(self, job_id, delay_s=0):
        with self.idle:
            self.active += 1
        self.pool.submit(self._run, job_id, delay_s)

    def _run(self, job_id, delay_s):
        try:
            time.sleep(delay_s)
            with self.app.app_context():
                outcome = run_job(job_id)
                if outcome == "retry":
                    attempts = db.session.get(Job, job_id).attempts
                    self.submit(job_id, backoff_s(attempts) * self.app.config["JOB_BACKOFF_SCALE"])
                db.session.remove()
        except Exception:  # noqa: BLE001 - a runner thread must never die silently
            log.exception("job runner crashed on job %s", job_id)
        finally:
            with self.idle:
                self.active -= 1
                self.idle.notify_all()

    def wait(self, timeout_s=60):
        """Block until no job is queued in this runner (tests and the CLI use it)."""
        deadline = time.monotonic() + timeout_s
        with self.idle:
            while self.active:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.idle.wait(left)
        return True

    def resume(self):
        """Pick up what an earlier process left queued or running."""
        with self.app.app_context():
            for job_id in pending_job_ids():
                self.submit(job_id)


def thread_runner(app):
    """The app's embedded runner, made (and resuming old jobs) on first use."""
    runner = app.extensions.get("job_runner")
    if runner is None:
        with _runner_lock:
            runner = app.extensions.get("job_runner")
            if runner is None:
                runner = ThreadRunner(app, app.config["JOB_THREADS"])
                app.extensions["job_runner"] = runner
                if app.config["JOB_RESUME_ON_START"]:
                    runner.resume()
    return runner


_runner_lock = threading.Lock()


def wait_for_jobs(app, timeout_s=60):
    """Block until the app's embedded runner (if it has one) is idle; False on time-out."""
    runner = app.extensions.get("job_runner")
    return runner is None or runner.wait(timeout_s)


def film_progress(film):
    """(percent, stage) for a film, from its latest job."""
    if film.status == "ready":
        return 100, "Ready"
    if film.status in ("failed", "rejected"):
        return 0, film.error or "Failed"
    job = film.jobs[-1] if film.jobs else None
    if job is None:
        return 0, "Checking your file"
    return job.progress, job.stage

