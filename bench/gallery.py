"""Benchmark: the gallery and film pages against a hello-world Flask route, same server.

    .venv/bin/python bench/gallery.py [--films 10000] [--seconds 10] [--connections 8]

Seeds a contest in its voting window with N published films (rows inserted in bulk:
posters, thumbnails and renditions have keys but no files) into a temporary SQLite
database, or into DATABASE_URL when it is set (use a throwaway PostgreSQL database:
the bench contest and its users are deleted afterwards, the schema is left). Serves
the site and bench/hello_app.py with gunicorn (2 sync workers each, on 127.0.0.1 and
a free port), loads each URL with wrk (Debian: apt-get install -y wrk) and prints
requests per second, p99 latency and the gallery/hello ratio (the aim is 0.5 or more).
"""
import argparse
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, insert, select  # noqa: E402

from contest import clock, create_app  # noqa: E402
from contest.extensions import db  # noqa: E402
from contest.models import Contest, Film, Rendition, User  # noqa: E402
from contest.operations.contests import create_contest, default_schedule  # noqa: E402
from contest.operations.gallery import PER_PAGE  # noqa: E402

SLUG = "bench-gallery"
FILMMAKERS = 2000
CHUNK = 2000
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2",
            "--worker-class", "sync", "--log-level", "warning"]


def main():
    options = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="bench-gallery-") as tmp:
        env = server_env(tmp)
        app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
                          "SECRET_KEY": env["SECRET_KEY"], "MEDIA_ROOT": env["MEDIA_ROOT"]})
        with app.app_context():
            upgrade()
            film_id = seed(options.films)
        try:
            results = measure(options, env, film_id)
        finally:
            with app.app_context():
                unseed()
    report(results)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--films", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    return parser.parse_args()


def server_env(tmp):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16),
            "MEDIA_ROOT": f"{tmp}/media", "CONTEST_ENV": "production",
            "RATELIMIT_ENABLED": "0", "JOB_RESUME_ON_START": "0"}


# -- seeding ------------------------------------------------------------------------------


def seed(count):
    """A contest in its voting window with count published films; returns one film's id."""
    unseed()
    schedule = default_schedule(clock.now() - timedelta(days=30))  # voting opened 2 days ago
    contest = create_contest(SLUG, {"title": "Benchmark", "accepted_phones": ["Nokia N8-00"],
                                    **schedule})
    users = [{"public_id": secrets.token_urlsafe(9), "email": f"bench{n}@bench.invalid",
              "display_name": f"Filmmaker {n}", "password_hash": "!"}
             for n in range(min(FILMMAKERS, count))]
    db.session.execute(insert(User), users)
    owner_ids = db.session.scalars(
        select(User.id).where(User.email.like("%@bench.invalid"))).all()
    rng = random.Random(1)
    for start in range(0, count, CHUNK):
        rows = [film_row(contest, rng.choice(owner_ids), n, rng)
                for n in range(start, min(count, start + CHUNK))]
        db.session.execute(insert(Film), rows)
    film_ids = db.session.execute(
        select(Film.id, Film.public_id).where(Film.contest_id == contest.id)).all()
    renditions = [{"film_id": fid, "height": h, "width": h * 16 // 9, "bytes": 10_000,
                   "key": f"films/{pid}/{h}.mp4"} for fid, pid in film_ids for h in (720, 360)]
    for start in range(0, len(renditions), CHUNK):
        db.session.execute(insert(Rendition), renditions[start:start + CHUNK])
    db.session.commit()
    if db.engine.dialect.name == "sqlite":  # a steady-state file, not a 10 MB write-ahead log
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE films")
    return film_ids[0][1]


def film_row(contest, owner_id, n, rng):
    public_id = secrets.token_urlsafe(9)
    votes = int(rng.paretovariate(1.2)) - 1
    return {
        "public_id": public_id, "contest_id": contest.id, "owner_id": owner_id,
        "title": f"Film number {n}", "description": "A short film shot on a phone.",
        "status": "ready", "created_at": contest.submissions_open_at,
        "published_at": contest.submissions_open_at + timedelta(minutes=n),
        "duration_s": rng.uniform(20, 180), "width": 1280, "height": 720, "fps": 30.0,
        "device_make": "Nokia", "device_model": "N8-00", "device_verdict": "verified",
        "vote_count": votes, "trend_score": votes * rng.random(), "view_count": votes * 10,
        "poster_key": f"films/{public_id}/poster.jpg",
        "thumbnail_key": f"films/{public_id}/thumbnail.jpg",
        "hls_key": f"films/{public_id}/hls/master.m3u8",
    }


def unseed():
    contest = db.session.scalar(select(Contest).filter_by(slug=SLUG))
    if contest is not None:
        db.session.execute(delete(Rendition).where(Rendition.film_id.in_(
            select(Film.id).where(Film.contest_id == contest.id))))
        db.session.execute(delete(Film).where(Film.contest_id == contest.id))
        db.session.delete(contest)
    db.session.execute(delete(User).where(User.email.like("%@bench.invalid")))
    db.session.commit()


# -- serving and loading ----------------------------------------------------------------


def measure(options, env, film_id):
    middle = max(1, options.films // PER_PAGE // 2)
    with serve(["contest:create_app()"], env) as site, \
            serve(["--chdir", str(ROOT / "bench"), "hello_app:app"], env) as hello:
        targets = [
            ("hello world", f"{hello}/"),
            ("gallery (default: shuffle)", f"{site}/contests/{SLUG}/films"),
            ("gallery ?sort=top", f"{site}/contests/{SLUG}/films?sort=top"),
            (f"gallery ?sort=top&page={middle}",
             f"{site}/contests/{SLUG}/films?sort=top&page={middle}"),
            ("film page", f"{site}/films/{film_id}"),
        ]
        for _name, url in targets:
            check(url)
        return [(name, url, wrk(url, options)) for name, url in targets]


@contextmanager
def serve(args, env):
    port = free_port()
    process = subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{port}", *args],
                               cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(base, process, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), 1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{base} did not start in {timeout_s} s")


def check(url):
    try:
        urllib.request.urlopen(url, timeout=30).close()
    except OSError as error:
        sys.exit(f"{url}: {error}")


def wrk(url, options):
    """{"rps", "p99_ms", "errors"} of one wrk run."""
    out = subprocess.run(["wrk", f"-t{options.threads}", f"-c{options.connections}",
                          f"-d{options.seconds}s", "--latency", url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale,
            "errors": int(errors.group(1)) if errors else 0}


def report(results):
    hello = results[0][2]["rps"]
    print(f"\n{'':32} {'req/s':>9} {'p99 ms':>8} {'vs hello':>9}")
    for name, _url, r in results:
        flag = f"  ({r['errors']} errors)" if r["errors"] else ""
        print(f"{name:32} {r['rps']:9.0f} {r['p99_ms']:8.1f} {r['rps'] / hello:9.2f}{flag}")
    ratio = results[1][2]["rps"] / hello
    print(f"\ngallery/hello = {ratio:.2f} (aim: >= 0.5)")


if __name__ == "__main__":
    main()
