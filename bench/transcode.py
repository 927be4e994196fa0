"""Benchmark: the site's one-decode ladder against one ffmpeg run per rendition and format.

    .venv/bin/python bench/transcode.py [--seconds 30] [--keep]

Generates a 1080p clip (testsrc2 + sine) in a temporary folder, then times
(a) the site's pipeline from a stored original to a published film (local storage):
    the phone check, one ffmpeg run writing every rung as MP4 and HLS plus poster
    and thumbnail, and storing every output;
(b) the usual way (PeerTube's default): for each rung a separate MP4 encode and a
    separate HLS encode, plus a poster run, all with the same encoder settings;
and prints a/b (the target is 0.75 or less) and each run's realtime factor.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from contest import create_app  # noqa: E402
from contest.config import LADDER  # noqa: E402
from contest.extensions import db  # noqa: E402
from contest.jobs import create_job, run_job  # noqa: E402
from contest.media import transcode as site  # noqa: E402
from contest.media.pipeline import sha256_of  # noqa: E402
from contest.media.probe import probe  # noqa: E402
from contest.models import Film, Job  # noqa: E402
from contest.operations.contests import create_contest  # noqa: E402
from contest.operations.users import create_user  # noqa: E402
from contest.storage import get_storage  # noqa: E402


def make_source(path, seconds):
    """A phone-like 1080p30 H.264/AAC file."""
    subprocess.run([
        "ffmpeg", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "192k", str(path)], check=True)
    return path


def run_site(source, out_dir):
    """(a): the site's pipeline, from a stored original to a published film.

    A throwaway app on SQLite and local storage (never moto: it would hold the
    outputs in memory); only the job's run is timed. Returns (seconds, the MP4
    sizes by file name).
    """
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{out_dir / 'bench.sqlite'}",
                      "SECRET_KEY": "bench", "MEDIA_ROOT": str(out_dir / "media"),
                      "JOB_RESUME_ON_START": False})
    with app.app_context():
        upgrade()
        job_id = _stored_entry(source)
        seconds, outcome = timed(lambda: run_job(job_id))
        film = db.session.get(Job, job_id).film
        if outcome != "done" or film.status != "ready":
            raise SystemExit(f"the pipeline did not publish the film: {outcome} {film.error}")
        return seconds, {Path(r.key).name: r.bytes for r in film.renditions}


def _stored_entry(source):
    """A film whose original is in storage with a queued job, as an upload leaves it."""
    owner = create_user("bench@example.com", "Bench", "bench password")
    contest = create_contest("bench", {"title": "Bench", "accepted_phones": ["Nokia N8-00"],
                                       "device_policy": "flag", "max_duration_s": 36000,
                                       "max_size_mb": 100000})
    film = Film(contest=contest, owner=owner, title="Bench", status="processing",
                original_sha256=sha256_of(source))
    db.session.add(film)
    db.session.flush()
    film.original_key = f"originals/{film.public_id}/bench.mp4"
    get_storage().save(film.original_key, source, "video/mp4", public=False)
    job = create_job(film)
    db.session.commit()
    return job.id


def separate_runs(source, out_dir, info):
    """(b): [(name, argv)] one rendition and one format per ffmpeg run."""
    runs = []
    for rung in site.plan_rungs(info.width, info.height, LADDER):
        (out_dir / "hls" / rung.label).mkdir(parents=True, exist_ok=True)
        encode = ["-vf", f"scale={rung.width}:{rung.height},setsar=1",
                  *_flags(site.encoder_options(rung.row, info.has_audio))]
        runs.append((f"{rung.label} MP4", _ffmpeg(source, *encode, "-movflags", "+faststart",
                                                   rung.mp4)))
        runs.append((f"{rung.label} HLS", _ffmpeg(source, *encode, "-f", "hls",
                                                   *_flags(site.hls_options(rung.label)),
                                                   rung.playlist)))
    start = info.duration_s / 3
    # Seeking before -i, as PeerTube does: the poster run decodes only a few frames.
    runs.append(("poster", ["ffmpeg", "-v", "error", "-y", "-ss", f"{start:.3f}",
                            *_ffmpeg(source, "-vf", "thumbnail=n=50,scale=-2:720",
                                     "-frames:v", "1", site.POSTER)[4:]]))
    runs.append(("thumbnail", ["ffmpeg", "-v", "error", "-y", "-i", site.POSTER,
                               "-vf", "scale=320:-2", site.THUMBNAIL]))
    return runs


def _ffmpeg(source, *args):
    return ["ffmpeg", "-v", "error", "-y", "-nostdin", "-i", str(source), *args]


def _flags(options):
    return [part for key, value in options.items() for part in (f"-{key}", str(value))]


def timed(action):
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of the clip")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-transcode-"))
    try:
        return benchmark(work, args.seconds)
    finally:
        if args.keep:
            print(f"outputs kept in {work}")
        else:
            shutil.rmtree(work)


def benchmark(work, seconds):
    print(f"making a {seconds:g} s 1080p30 clip ...", flush=True)
    source = make_source(work / "original.mp4", seconds)
    info = probe(source)
    (work / "site").mkdir()
    site_s, site_sizes = run_site(source, work / "site")
    print(f"(a) site, one run: {site_s:7.2f} s   realtime x{info.duration_s / site_s:.2f}")
    baseline = work / "separate"
    baseline.mkdir()
    separate_s = 0.0
    for name, cmd in separate_runs(source, baseline, info):
        run_s, _ = timed(lambda cmd=cmd: subprocess.run(cmd, cwd=baseline, check=True))
        separate_s += run_s
        print(f"(b) {name:<14} {run_s:7.2f} s   realtime x{info.duration_s / run_s:.2f}",
              flush=True)
    print(f"(b) separate runs, total: {separate_s:7.2f} s   "
          f"realtime x{info.duration_s / separate_s:.2f}")
    for name, size in site_sizes.items():
        print(f"    {name}: {size / 1e6:.2f} MB in (a), "
              f"{(baseline / name).stat().st_size / 1e6:.2f} MB in (b)")
    ratio = site_s / separate_s
    print(f"a/b = {ratio:.2f} (target <= 0.75): {'met' if ratio <= 0.75 else 'NOT met'}")
    return 0 if ratio <= 0.75 else 1


if __name__ == "__main__":
    sys.exit(main())
