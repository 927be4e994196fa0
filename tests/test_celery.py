"""The Celery path for real: a worker process against the Redis on 127.0.0.1."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from clips import NOKIA_N8, make_clip

from contest import create_app
from contest.extensions import db
from contest.models import Film, Job

BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
pytestmark = pytest.mark.slow


def start_worker(app, name, settings=None, command=None):
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
        "CELERY_BROKER_URL": BROKER,
        "SECRET_KEY": "test-secret",
        "STORAGE": "local",
        **(settings or {}),
    }
    celery = Path(sys.executable).with_name("celery")
    command = command or [str(celery), "-A", "contest.celery_app", "worker", "--pool=solo",
                          "-Q", "contest", "-n", f"{name}@%h", "--loglevel=WARNING",
                          "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def celery_app(app, base_config):
    try:
        redis.Redis.from_url(BROKER).flushdb()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not answering at {BROKER}")
    other = create_app({**base_config, "MEDIA_ROOT": app.config["MEDIA_ROOT"],
                        "CELERY_BROKER_URL": BROKER})
    with other.app_context():
        yield other
        db.session.remove()


def test_a_worker_processes_an_upload_end_to_end(celery_app, make_user, make_contest, login,
                                                 tmp_path):
    make_contest("n8", min_height=120)
    # The documented command: `flask --app contest worker`.
    flask = str(Path(sys.executable).with_name("flask"))
    command = [flask, "--app", "contest", "worker", "-c", "1"]
    worker = start_worker(celery_app, "w1", command=command)
    try:
        client = celery_app.test_client()
        login(client, make_user())
        clip = make_clip(tmp_path / "n8.mp4", tags=NOKIA_N8)
        data = {"title": "Over Redis", "agree": "y", "file": (open(clip, "rb"), "n8.mp4")}
        response = client.post("/contests/n8/enter", data=data,
                               content_type="multipart/form-data")
        assert response.status_code == 302
        assert "job_runner" not in celery_app.extensions  # nothing ran in-process
        film = wait_for(lambda: _film_status() in ("ready", "failed"), 90)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert film.status == "ready", (film.error, output)
    assert film.jobs[-1].worker.startswith("celery:")
    assert len(film.renditions) == 1
    assert "Traceback" not in output, output


def _film_status():
    db.session.expire_all()
    film = db.session.scalar(db.select(Film))
    return film.status if film else None


def wait_for_job(condition, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.scalar(db.select(Job).order_by(Job.id.desc()))
        if job is not None and condition(job):
            return job
        time.sleep(0.2)
    return None


def wait_for(condition, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return db.session.scalar(db.select(Film))
        time.sleep(0.5)
    return db.session.scalar(db.select(Film))


def test_killing_a_worker_mid_transcode_leaves_the_job_to_the_other(
        celery_app, make_user, make_contest, login, tmp_path):
    """Two workers share one queue; SIGKILL the one transcoding, the other finishes the film."""
    make_contest("n8", min_height=120, max_duration_s=60)
    clip = make_clip(tmp_path / "long.mp4", tags=NOKIA_N8, seconds=12, width=1280, height=720)
    fast_redelivery = {"CELERY_VISIBILITY_TIMEOUT_S": "4", "JOB_STALE_S": "3"}
    workers = {name: start_worker(celery_app, name, fast_redelivery) for name in ("w1", "w2")}
    try:
        client = celery_app.test_client()
        login(client, make_user())
        data = {"title": "Survivor", "agree": "y", "file": (open(clip, "rb"), "long.mp4")}
        assert client.post("/contests/n8/enter", data=data,
                           content_type="multipart/form-data").status_code == 302
        job = wait_for_job(lambda j: j.state == "running" and j.progress >= 8, 60)
        assert job is not None, "the transcode never got going"
        first_pid = int(job.worker.split(":")[2])
        victim = next(name for name, proc in workers.items() if proc.pid == first_pid)
        workers[victim].kill()
        workers[victim].wait(10)
        film = wait_for(lambda: _film_status() in ("ready", "failed"), 120)
        survivor = next(name for name in workers if name != victim)
    finally:
        outputs = {}
        for name, proc in workers.items():
            proc.terminate()
            outputs[name] = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert film.status == "ready", (film.error, outputs)
    job = film.jobs[-1]
    assert job.attempts == 2
    assert int(job.worker.split(":")[2]) == workers[survivor].pid, (
        first_pid, victim, job.worker, {n: p.pid for n, p in workers.items()}, outputs)
    assert [r.height for r in film.renditions] == [720, 480, 360]
