"""Entering films: the rules every way in (web form, API, CLI) obeys."""
import secrets
from pathlib import Path

from sqlalchemy import func

from contest import jobs
from contest.errors import DomainError
from contest.extensions import db
from contest.media.checks import check_upload
from contest.media.pipeline import record_screening, sha256_of
from contest.models import Film
from contest.ops.metrics import UPLOAD_BYTES
from contest.storage import get_storage

# Statuses that use up one of a filmmaker's entries (a withdrawn film gives its place back).
COUNTED = ("processing", "ready", "failed")
EXTENSIONS = {".mp4", ".mov", ".m4v", ".3gp", ".mkv", ".webm"}


def get_film(public_id):
    film = db.session.scalar(db.select(Film).filter_by(public_id=public_id))
    if film is None:
        raise DomainError("No film has that address.", status=404)
    return film


def check_can_enter(contest, user):
    """Raise DomainError unless user may enter one more film now."""
    if not contest.accepting_entries():
        raise DomainError("This contest is not accepting entries now.", status=403,
                          code="not_accepting")
    if not user.is_active:
        raise DomainError("This account is suspended.", status=403)
    entered = db.session.scalar(
        db.select(func.count(Film.id)).where(
            Film.contest_id == contest.id, Film.owner_id == user.id, Film.status.in_(COUNTED),
            Film.withdrawn_at.is_(None),
        )
    )
    if entered >= contest.max_entries_per_filmmaker:
        raise DomainError(
            f"You have entered {entered} of {contest.max_entries_per_filmmaker} films allowed "
            "in this contest.", status=409, code="entry_limit")


def check_size(contest, size_bytes):
    """Too large for the contest: 413 with the limit in words."""
    if size_bytes is not None and size_bytes > contest.max_size_mb * 1024 * 1024:
        raise DomainError(
            f"This file is larger than the {contest.max_size_mb} MB this contest allows.",
            status=413, code="too_large")


def submit_film(contest, user, *, title, description, path, original_name):
    """Check a received file and enter it: refused files leave nothing behind.

    path is a local temporary file the caller owns and removes afterwards.
    """
    title = check_title(title)
    check_can_enter(contest, user)
    path = Path(path)
    check_size(contest, path.stat().st_size)
    screening = check_upload(path, contest)
    film = new_film(contest, user, title=title, description=description,
                    original_name=original_name, size=path.stat().st_size)
    film.original_sha256 = sha256_of(path)
    record_screening(film, screening)
    db.session.flush()
    film.original_key = original_key(film, original_name)
    storage = get_storage()
    try:
        storage.save(film.original_key, path, "application/octet-stream", public=False)
    except Exception:
        key = film.original_key
        db.session.rollback()
        storage.delete(key)
        raise
    return queue_film(film)


def check_title(title):
    """The stripped title, or a DomainError naming the field."""
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise DomainError("Give the film a title of up to 120 characters.", status=422,
                          field="title")
    return title


def new_film(contest, user, *, title, description, original_name, size, public_id=None):
    """A film row waiting for its processing job (added to the session, not committed)."""
    film = Film(contest=contest, owner=user, title=title, description=(description or "").strip(),
                status="processing")
    if public_id:
        film.public_id = public_id
    film.original_name = (original_name or "")[:255] or None
    film.original_size = size
    db.session.add(film)
    return film


def queue_film(film):
    """Commit the film with its processing job, then hand the job to a runner.

    The original is already stored under film.original_key; it goes if the commit fails.
    """
    key = film.original_key
    try:
        job = jobs.create_job(film)
        db.session.commit()
    except Exception:
        db.session.rollback()
        get_storage().delete(key)
        raise
    UPLOAD_BYTES.inc(film.original_size)
    jobs.enqueue(job.id)
    return film


def original_key(film, original_name):
    """A server-made key; the client's file name is only kept as a label."""
    suffix = Path(original_name or "").suffix.lower()
    if suffix not in EXTENSIONS:
        suffix = ".bin"
    return f"originals/{film.public_id}/{secrets.token_hex(8)}{suffix}"

