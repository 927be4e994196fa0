"""Celery: the same jobs, run by workers on other machines (CELERY_BROKER_URL set)."""
import logging

from celery import Celery, Task, shared_task
from celery.signals import worker_ready

from contest.extensions import db
from contest.jobs import backoff_s, pending_job_ids, run_job, worker_name
from contest.models import Job

log = logging.getLogger(__name__)


def celery_init_app(app):
    """Bind a Celery app to the Flask app: every task runs inside an app context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=app.config["TRANSCODE_TIMEOUT_S"] + 600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": app.config["CELERY_VISIBILITY_TIMEOUT_S"]},
        task_default_queue="contest",
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


@shared_task(bind=True, max_retries=None)
def run_job_task(self, job_id):
    """Run a job; when another worker holds it, look again once its heartbeat could be stale."""
    outcome = run_job(job_id, worker=f"celery:{worker_name()}")
    job = db.session.get(Job, job_id)
    if outcome == "retry":
        raise self.retry(countdown=backoff_s(job.attempts))
    if outcome == "busy" and job is not None and job.state == "running":
        from flask import current_app

        raise self.retry(countdown=current_app.config["JOB_STALE_S"])
    return outcome


@worker_ready.connect
def resume_on_start(sender=None, **kwargs):
    """A starting worker takes back the jobs that dead workers left behind."""
    app = getattr(sender, "app", None)
    if app is None:
        return
    flask_app = _flask_app()
    if flask_app is None:
        return
    with flask_app.app_context():
        for job_id in pending_job_ids():
            run_job_task.apply_async(args=[job_id])
        db.session.remove()


def _flask_app():
    try:
        from contest.celery_app import flask_app as app
    except Exception:  # noqa: BLE001 - started some other way: nothing to resume
        return None
    return app
