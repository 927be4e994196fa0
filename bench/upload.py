"""Benchmark: a large upload through the resumable protocol, local folder and S3.

    .venv/bin/python bench/upload.py              # 1 GB (1024 MiB)
    .venv/bin/python bench/upload.py --size-mb 64

The app runs in its own process (this script with --serve) on a real HTTP server, so
its memory can be watched from outside: the peak growth of its RSS during an upload
must stay flat (well under 100 MB) however large the file. A Python client (requests,
4 parts in flight like the browser) talks to the JSON API; on S3 the parts go straight
to a moto server running in this process through presigned URLs. Each run is compared
with a plain copy of the same file in the same run: `cp` for the local folder, boto3
upload_file for S3. The film's processing job is not run (bench/transcode.py measures
that); only the upload is timed, up to the answer to "complete".
"""
import argparse
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
MIB = 1024 * 1024
AWS_ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


# --- the app process ------------------------------------------------------------------


def serve(workdir, storage, endpoint):
    """Run the app with a fresh database, print its URL and an API token, serve forever."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from contest import create_app, jobs
    from contest.operations.contests import create_contest
    from contest.operations.users import create_user, issue_token

    Path(workdir).mkdir(parents=True, exist_ok=True)
    config = {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/db.sqlite",
              "MEDIA_ROOT": f"{workdir}/media", "STORAGE": storage, "RATELIMIT_ENABLED": False,
              "CELERY_BROKER_URL": "", "JOB_RESUME_ON_START": False}
    if storage == "s3":
        config.update(S3_BUCKET="bench", S3_ENDPOINT_URL=endpoint)
    app = create_app(config)
    jobs.enqueue = lambda job_id, delay_s=0: None  # the upload is measured, not the transcode
    with app.app_context():
        upgrade()
        if storage == "s3":
            from contest.storage import get_storage

            get_storage().ensure_bucket()
        user = create_user("bench@example.com", "bench", "bench password 1", (), True)
        create_contest("bench", {"title": "Bench", "accepted_phones": ["Nokia N8-00"],
                                 "max_size_mb": 1_000_000})
        token = issue_token(user)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(json.dumps({"url": f"http://127.0.0.1:{server.server_port}", "token": token}),
          flush=True)
    server.serve_forever()


class AppProcess:
    """The app in a child process, and a thread sampling its RSS."""

    def __init__(self, workdir, storage, endpoint=""):
        env = {**os.environ, **AWS_ENV, "LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(workdir), storage, endpoint or "-"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        line = self.proc.stdout.readline()
        while line and not line.startswith("{"):  # skip anything else the app prints
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the app process did not start; see its errors above")
        info = json.loads(line)
        self.url, self.token = info["url"], info["token"]
        self.peak = self.rss()
        self._watching = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def rss(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            line = next(line for line in f if line.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    def _watch(self):
        while self.proc.poll() is None:
            try:
                if self._watching.is_set():
                    self.peak = max(self.peak, self.rss())
            except (OSError, StopIteration):  # the process has just ended
                return
            time.sleep(0.02)

    def start_watching(self):
        self.peak = self.rss()
        self._watching.set()
        return self.peak

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


# --- the client -------------------------------------------------------------------------


def upload(app, path, session):
    """The whole protocol: create, each part (4 at a time) to its target, complete."""
    headers = {"Authorization": f"Bearer {app.token}"}
    api = f"{app.url}/api/v1/uploads"
    size = path.stat().st_size
    created = session.post(api, headers=headers, json={
        "contest": "bench", "file_name": path.name, "size": size, "fingerprint": "bench"})
    created.raise_for_status()
    up = created.json()

    def send(number):
        target = session.get(f"{api}/{up['id']}/parts/{number}/target", headers=headers)
        target.raise_for_status()
        target = target.json()
        extra = {} if "X-Amz-Signature" in target["url"] else headers
        with open(path, "rb") as f:
            f.seek((number - 1) * up["part_size"])
            data = f.read(up["part_size"])
        answer = requests.put(target["url"], data=data, headers={**target["headers"], **extra},
                              timeout=300)
        answer.raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send, range(1, up["parts"] + 1)))
    done = session.post(f"{api}/{up['id']}/complete", headers=headers,
                        json={"title": "Bench", "description": ""})
    done.raise_for_status()
    return up


def make_file(path, size_mb):
    """A real clip padded with an MP4 'free' box: a valid video of the size asked for."""
    from clips import NOKIA_N8, make_clip

    make_clip(path, tags=NOKIA_N8)
    extra = size_mb * MIB - path.stat().st_size
    with open(path, "ab") as f:
        f.write(struct.pack(">I", extra) + b"free")
        block, left = bytes(8 * MIB), extra - 8
        while left > 0:
            left -= f.write(block[:min(left, len(block))])
    return path


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def report(name, size, seconds, baseline_name, baseline_s, growth):
    mb_s = size / MIB / seconds
    print(f"{name:6} resumable {seconds:7.2f} s {mb_s:8.1f} MB/s | {baseline_name} "
          f"{baseline_s:6.2f} s {size / MIB / baseline_s:8.1f} MB/s | ratio "
          f"{baseline_s / seconds:5.2f} of {baseline_name} | app RSS peak growth "
          f"{growth / MIB:6.1f} MB")


def bench_local(workdir, path):
    size = path.stat().st_size
    cp_s = timed(lambda: subprocess.run(["cp", str(path), str(workdir / "copy")], check=True))
    os.unlink(workdir / "copy")
    app = AppProcess(workdir / "local", "local")
    try:
        with requests.Session() as session:
            base = app.start_watching()
            seconds = timed(lambda: upload(app, path, session))
        report("local", size, seconds, "cp", cp_s, app.peak - base)
    finally:
        app.stop()
        shutil.rmtree(workdir / "local", ignore_errors=True)


def bench_s3(workdir, path):
    import boto3
    from moto.server import ThreadedMotoServer

    os.environ.update(AWS_ENV)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = "http://{}:{}".format(*moto.get_host_and_port())
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    size = path.stat().st_size
    app = AppProcess(workdir / "s3", "s3", endpoint)
    try:
        boto_s = timed(lambda: client.upload_file(str(path), "bench", "baseline.bin"))
        client.delete_object(Bucket="bench", Key="baseline.bin")  # moto keeps it in memory
        with requests.Session() as session:
            base = app.start_watching()
            seconds = timed(lambda: upload(app, path, session))
        report("s3", size, seconds, "boto3", boto_s, app.peak - base)
    finally:
        app.stop()
        for item in client.list_objects_v2(Bucket="bench").get("Contents", []):
            client.delete_object(Bucket="bench", Key=item["Key"])
        moto.stop()
        shutil.rmtree(workdir / "s3", ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--only", choices=["local", "s3"], help="run one backend")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        workdir = Path(tmp)
        path = make_file(workdir / "film.mp4", args.size_mb)
        print(f"{args.size_mb} MiB file, parts of 8 MiB, 4 in flight")
        if args.only in (None, "local"):
            bench_local(workdir, path)
        if args.only in (None, "s3"):
            bench_s3(workdir, path)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], None if sys.argv[4] == "-" else sys.argv[4])
    else:
        main()
