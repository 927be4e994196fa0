"""From a stored original to a published film: check, transcode, store, publish.

Safe to run twice: outputs go under a prefix named for the job and are written
again from scratch; the film is published only when every output is stored.
"""
import hashlib
import logging
import tempfile
from pathlib import Path

from flask import current_app

from contest import clock
from contest.extensions import db
from contest.jobs import PermanentFailure, report
from contest.media.checks import check_upload
from contest.media.probe import MediaRefused
from contest.media.transcode import TranscodeError, content_type, transcode
from contest.models import Rendition
from contest.operations.notifications import film_processed
from contest.storage import get_storage

log = logging.getLogger(__name__)
IMMUTABLE = "public, max-age=31536000, immutable"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def process_film_job(job):
    """The handler of a 'transcode' job."""
    film = job.film
    storage = get_storage()
    with tempfile.TemporaryDirectory(prefix="film-") as tmp:
        report(job.id, 1, "Checking your file")
        source = Path(tmp) / ("original" + Path(film.original_key).suffix)
        storage.fetch(film.original_key, source)
        if film.original_sha256 and sha256_of(source) != film.original_sha256:
            raise PermanentFailure("The stored file does not match what was uploaded.")
        try:
            screening = check_upload(source, film.contest)
        except MediaRefused as refused:
            reject(film, refused.message)
            return
        record_screening(film, screening)
        out = Path(tmp) / "out"
        result = _transcode(job, source, out, screening.probe)
        report(job.id, 92, "Saving the versions")
        prefix = f"films/{film.public_id}/v{job.id}/"
        storage.delete_prefix(prefix)
        for relpath in result.files:
            storage.save(prefix + relpath, out / relpath, content_type(relpath),
                         public=True, cache_control=IMMUTABLE)
            report(job.id)
        publish(film, prefix, result)
        _drop_old_versions(storage, film, prefix)


def _transcode(job, source, out, info):
    def progress(percent, stage):
        report(job.id, 5 + percent * 0.85, stage)

    try:
        return transcode(source, out, info, current_app.config["LADDER"],
                         timeout_s=current_app.config["TRANSCODE_TIMEOUT_S"],
                         on_progress=progress)
    except TranscodeError as error:
        log.warning("ffmpeg failed on film %s:\n%s", job.film.public_id, error.log)
        raise


def record_screening(film, screening):
    """Copy what the probe and the phone check found onto the film."""
    info, device = screening.probe, screening.device
    film.duration_s, film.width, film.height, film.fps = (
        info.duration_s, info.width, info.height, info.fps)
    film.device_make, film.device_model = device.make, device.model
    film.device_verdict, film.device_evidence = device.verdict, device.evidence


def publish(film, prefix, result):
    first_time = film.status != "ready"
    # Old rows go first: the new ones reuse their (film, height) pairs.
    film.renditions.clear()
    db.session.flush()
    film.renditions = [
        Rendition(height=r.height, width=r.width, key=prefix + r.path, bytes=r.bytes)
        for r in result.renditions
    ]
    film.hls_key = prefix + result.hls_master
    film.poster_key = prefix + result.poster
    film.thumbnail_key = prefix + result.thumbnail
    film.status, film.error = "ready", None
    film.published_at = film.published_at or clock.now()
    db.session.commit()
    if first_time:
        film_processed(film)


def reject(film, message):
    """The file turned out not to be acceptable: the filmmaker sees why; the original goes."""
    storage = get_storage()
    film.status, film.error = "rejected", message
    db.session.commit()
    storage.delete(film.original_key)
    film_processed(film)


def _drop_old_versions(storage, film, keep_prefix):
    for job in film.jobs:
        prefix = f"films/{film.public_id}/v{job.id}/"
        if prefix != keep_prefix:
            storage.delete_prefix(prefix)
