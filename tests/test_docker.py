"""Dockerfile and docker-compose.yml, checked without a Docker engine.

The image's start script really runs here, in a copy of the tree made from the
Dockerfile's own COPY lines, so a file the image lacks or a broken start command
fails this test. Compose is checked for consistency with the README and itself.
"""
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = "/app"


def instructions():
    """The Dockerfile as (INSTRUCTION, arguments) pairs, continuations joined."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def copies():
    """(source, where it lands relative to the work dir) for every source of every COPY."""
    pairs = []
    for name, args in instructions():
        if name == "COPY":
            *sources, destination = shlex.split(args)
            for source in sources:
                landing = destination + Path(source).name if destination.endswith("/") \
                    else destination
                pairs.append((source, str(Path(landing))))
    return pairs


def ignore_patterns():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def sent_to_docker(path):
    """Whether .dockerignore lets path into the build context (last match wins)."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    included = True
    for pattern in ignore_patterns():
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if any(_match(pattern, prefix) for prefix in prefixes):
            included = negated
    return included


def _match(pattern, path):
    """Docker's rules for the patterns used here: `*` stays in one folder; `**/` is any."""
    if pattern.startswith("**/"):
        parts = Path(path).parts
        return any(_match(pattern[3:], "/".join(parts[i:])) for i in range(len(parts)))
    return fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")


def image_files(source):
    root = ROOT / source
    files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
    return [p for p in files if "__pycache__" not in p.parts]


def build_tree(target):
    """Copy what the Dockerfile COPYs (and .dockerignore lets through) into target."""
    for source, landing in copies():
        for path in image_files(source):
            if sent_to_docker(path.relative_to(ROOT)):
                out = target / landing / path.relative_to(ROOT / source)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, out)
    return target


def test_dockerfile_basics():
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(args for name, args in steps if name == "RUN")
    assert "apt-get install -y --no-install-recommends ffmpeg" in runs
    users = [args for name, args in steps if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("WORKDIR", APP_DIR) in steps


def test_every_copied_path_exists_and_reaches_the_build():
    assert copies()
    for source, _ in copies():
        assert (ROOT / source).exists(), f"COPY {source}: no such path"
        files = image_files(source)
        assert files and all(sent_to_docker(p.relative_to(ROOT)) for p in files), (
            f"COPY {source}: .dockerignore keeps some of it out")


def test_dockerignore_keeps_local_state_out():
    for path in (".venv/bin/python", "instance/contest.sqlite", ".git/HEAD",
                 "contest/__pycache__/x.pyc", "tests/conftest.py"):
        assert not sent_to_docker(path), path


def test_install_step_has_what_it_needs():
    steps = instructions()
    install = next(i for i, (name, args) in enumerate(steps) if "pip install" in args)
    before = {source for name, args in steps[:install] if name == "COPY"
              for source in shlex.split(args)[:-1]}
    assert {"pyproject.toml", "README.md", "contest"} <= before


def start_command():
    cmd = [json.loads(args) for name, args in instructions() if name == "CMD"][-1]
    assert [n for n, _ in instructions()].count("ENTRYPOINT") == 0
    assert len(cmd) == 1 and cmd[0].startswith(APP_DIR + "/")
    return cmd[0].removeprefix(APP_DIR + "/")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_image_start(tree, env, port):
    """Start the image's CMD in tree; return the process (a session of its own)."""
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(tree), "HOME": str(tree), "PORT": str(port),
           "WEB_CONCURRENCY": "1", **env}
    return subprocess.Popen([str(tree / start_command())], cwd=tree, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)


def wait_for_page(process, url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the start command exited:\n" + process.stdout.read())
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing answered on {url} within {seconds} s")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def healthcheck_command():
    [args] = [args for name, args in instructions() if name == "HEALTHCHECK"]
    return args.split(" CMD ", 1)[1]


def test_image_start_runs_on_embedded_defaults(tmp_path):
    tree = build_tree(tmp_path / "app")
    port = free_port()
    process = run_image_start(tree, {}, port)
    try:
        status, html = wait_for_page(process, f"http://127.0.0.1:{port}/")
        health = subprocess.run(healthcheck_command(), shell=True, timeout=30,
                                env={"PATH": os.environ["PATH"], "PORT": str(port)})
    finally:
        stop(process)
    assert status == 200 and "</html>" in html
    assert health.returncode == 0
    # The migrations ran into SQLite in the image's instance folder, beside the generated key.
    instance = tree / "instance"
    assert (instance / "contest.sqlite").stat().st_size > 0
    assert (instance / "secret_key").exists()


def test_image_start_refuses_production_without_a_secret(tmp_path):
    tree = build_tree(tmp_path / "app")
    process = run_image_start(tree, {"CONTEST_ENV": "production"}, free_port())
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode != 0
    assert "SECRET_KEY must be set" in output


# --- docker-compose.yml ------------------------------------------------------------


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def app_services():
    """The services that run this image (they carry the site's settings)."""
    services = compose()["services"]
    return {name: s for name, s in services.items() if s.get("build")}


def readme_settings():
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "README.md").read_text()))


def test_compose_runs_the_whole_site():
    services = compose()["services"]
    assert {"web", "worker", "postgres", "redis", "minio", "createbucket"} <= set(services)
    assert set(app_services()) == {"web", "worker"}
    assert "command" not in services["web"]  # the image's CMD: migrate, then gunicorn
    assert "8000:8000" in services["web"]["ports"]
    assert services["worker"]["command"] == ["flask", "--app", "contest", "worker"]
    for service in services.values():
        for needed in service.get("depends_on", {}):
            assert needed in services
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose()["volumes"]


def test_compose_settings_are_documented():
    documented = readme_settings()
    text = (ROOT / "docker-compose.yml").read_text()
    for name, service in app_services().items():
        missing = set(service["environment"]) - documented
        assert not missing, f"{name}: README.md does not document {sorted(missing)}"
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    assert interpolated <= documented


def test_compose_settings_agree_with_the_services():
    services = compose()["services"]
    env = app_services()["web"]["environment"]
    database = urlsplit(env["DATABASE_URL"])
    pg = services["postgres"]["environment"]
    assert (database.hostname, database.port) == ("postgres", 5432)
    assert (database.username, database.password, database.path) == (
        pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], "/" + pg["POSTGRES_DB"])
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        assert urlsplit(env[name]).hostname == "redis"
    assert urlsplit(env["S3_ENDPOINT_URL"]).hostname == "minio"
    minio = services["minio"]["environment"]
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (
        minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"])
    bucket_script = services["createbucket"]["command"][0]
    assert f"mc mb --ignore-existing local/{env['S3_BUCKET']}" in bucket_script
    assert env["S3_PUBLIC_URL"].endswith("/" + env["S3_BUCKET"])
    assert f"arn:aws:s3:::{env['S3_BUCKET']}/originals/*" in bucket_script


def test_readme_documents_every_setting_the_code_reads():
    code = (ROOT / "contest" / "config.py").read_text()
    read = set(re.findall(r'(?:_int|_bool|environ\.get|getenv)\(\s*"([A-Z0-9_]+)"', code))
    assert {"SECRET_KEY", "DATABASE_URL", "STORAGE"} <= read
    missing = read - readme_settings()
    assert not missing, f"README.md does not document {sorted(missing)}"
