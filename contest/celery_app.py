"""Entry point for workers: `celery -A contest.celery_app worker`."""
from contest import create_app

flask_app = create_app()
if "celery" not in flask_app.extensions:
    raise SystemExit("Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker.")
# Celery looks for a module attribute named `app` first.
app = celery = flask_app.extensions["celery"]
