"""The organizer console: contest settings with a banner, entries, roles.

Every change here is made by an organizer and written to the audit log in the same
commit. The dashboard's figures are in dashboard.py, the vote review in vote_review.py.
"""
import secrets
import tempfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, lazyload

from contest import clock, jobs
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Contest, Film, Job, User
from contest.operations import audit, moderation
from contest.operations.contests import create_contest, parse_time, update_contest
from contest.operations.users import grant_role
from contest.storage import get_storage

TIME_ZONES = sorted(available_timezones() - {"localtime"})
BANNER_MAX_BYTES = 5 * 1024 * 1024
BANNER_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
# Settings update_contest() does not take; the console sets them itself.
EXTRAS = ("blind_show_descriptions",)
REASON_MAX = 300


def require_organizer(actor):
    if not (actor and actor.is_authenticated and actor.is_organizer and actor.is_active):
        raise DomainError("Only organizers can do this.", status=403)


# -- time zones: shown and entered in the organizer's zone, stored in naive UTC --------------


def zone_of(user):
    try:
        return ZoneInfo(getattr(user, "time_zone", None) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_local(value, zone):
    """Naive UTC -> naive wall time in zone."""
    return value.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) if value else None


def to_utc(value, zone):
    """Naive wall time in zone -> naive UTC."""
    return value.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None) if value else None


def set_time_zone(user, name):
    if name not in TIME_ZONES and name != "UTC":
        raise DomainError("Choose a time zone from the list.", status=400, field="time_zone")
    user.time_zone = name
    db.session.commit()


# -- contests --------------------------------------------------------------------------------


def check_banner(stream):
    """Copy an uploaded image to a temporary file; (file, ext) when it is PNG, JPEG or WebP.

    The content decides, not the name: the first bytes must be the format's signature.
    """
    out = tempfile.NamedTemporaryFile(prefix="banner-")
    size = 0
    while chunk := stream.read(64 * 1024):
        size += len(chunk)
        if size > BANNER_MAX_BYTES:
            out.close()
            raise DomainError(f"Keep the banner under {BANNER_MAX_BYTES // (1024 * 1024)} MB.",
                              status=400, field="banner")
        out.write(chunk)
    out.flush()
    out.seek(0)
    kind = image_kind(out.read(16))
    if kind is None:
        out.close()
        raise DomainError("The banner must be a PNG, JPEG or WebP image.", status=400,
                          field="banner")
    return out, kind


def image_kind(head):
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _store_banner(contest, banner):
    file, kind = banner
    key = f"contests/{contest.slug}/banner-{secrets.token_hex(6)}.{kind}"
    get_storage().save(key, file.name, BANNER_TYPES[kind], public=True)
    file.close()
    return key


def banner_url(contest):
    return get_storage().url(contest.banner_key) if contest.banner_key else None


def _snapshot(contest, names):
    values = {}
    for name in names:
        if name == "accepted_phones":
            values[name] = [phone_line(p.make, p.model, p.aliases) for p in contest.phones]
        else:
            values[name] = _plain(getattr(contest, name))
    return values


def _plain(value):
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else value


def _asked(data, extras):
    after = {}
    for name, value in {**data, **extras}.items():
        if name == "accepted_phones":
            after[name] = [phone_line(p["make"], p["model"], p.get("aliases")) for p in value]
        elif name.endswith("_at"):
            after[name] = _plain(parse_time(value, name))
        else:
            after[name] = value
    return after


def phone_line(make, model, aliases=()):
    return f"{make} {model}" + (f" = {', '.join(aliases)}" if aliases else "")


def save_contest(contest, slug, data, actor, *, extras=None, banner=None, drop_banner=False):
    """Create (contest None) or change a contest from plain values, with its banner.

    data goes to create_contest/update_contest (their rules apply); extras holds the
    settings they do not take. banner is what check_banner() returned.
    """
    require_organizer(actor)
    extras = {k: v for k, v in (extras or {}).items() if k in EXTRAS}
    if contest is None:
        return _create(slug, data, actor, extras, banner)
    before = _snapshot(contest, [*data, *extras])
    old_banner, new_key = contest.banner_key, None
    try:
        for name, value in extras.items():
            setattr(contest, name, value)
        if banner is not None:
            new_key = contest.banner_key = _store_banner(contest, banner)
        elif drop_banner:
            contest.banner_key = None
        after = _asked(data, extras)
        changed = sorted(k for k in after if after[k] != before.get(k))
        if new_key or contest.banner_key != old_banner:
            changed.append("banner_key")
        audit.record(actor, contest, "contest.update", contest.slug,
                     {k: before.get(k, old_banner) for k in changed},
                     {k: after.get(k, contest.banner_key) for k in changed})
        update_contest(contest, data, actor)
    except Exception:
        db.session.rollback()
        if new_key:
            get_storage().delete(new_key)
        raise
    if old_banner and old_banner != contest.banner_key:
        get_storage().delete(old_banner)
    return contest


def _create(slug, data, actor, extras, banner):
    contest = create_contest(slug, data, actor)
    for name, value in extras.items():
        setattr(contest, name, value)
    if banner is not None:
        contest.banner_key = _store_banner(contest, banner)
    audit.record(actor, contest, "contest.create", contest.slug, None,
                 {**_asked(data, extras), "banner_key": contest.banner_key})
    db.session.commit()
    return contest


def contests_overview():
    """All contests, newest first, with (contest, entries, open reports)."""
    entries = (select(Film.contest_id, func.count(Film.id).label("n"))
               .group_by(Film.contest_id).subquery())
    rows = db.session.execute(
        select(Contest, func.coalesce(entries.c.n, 0))
        .outerjoin(entries, entries.c.contest_id == Contest.id)
        .options(lazyload(Contest.phones))
        .order_by(Contest.submissions_open_at.desc(), Contest.id.desc())).all()
    return [(contest, n) for contest, n in rows]


# -- entries ---------------------------------------------------------------------------------


def contest_films(contest):
    return db.session.scalars(
        select(Film).where(Film.contest_id == contest.id)
        .options(joinedload(Film.owner), lazyload(Film.renditions))
        .order_by(Film.created_at.desc(), Film.id.desc())).all()


def _reason(reason):
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainError(f"Give a reason of up to {REASON_MAX} characters: the filmmaker "
                          "will see it.", field="reason")
    return reason


def _film_state(film):
    return {"disqualified": film.disqualified_at is not None,
            "hidden": film.hidden_at is not None, "reason": film.moderation_reason}


def disqualify(film, actor, reason):
    """The film leaves the contest; its filmmaker sees the reason on the film's status page."""
    require_organizer(actor)
    reason = _reason(reason)
    before = _film_state(film)
    film.disqualified_at = film.disqualified_at or clock.now()
    film.moderation_reason = reason
    audit.record(actor, film.contest, "film.disqualify", film.public_id, before,
                 _film_state(film))
    db.session.commit()
    return film


def hide(film, actor, reason):
    """The film leaves public view (reports about it are upheld)."""
    require_organizer(actor)
    return moderation.hide(film, actor, _reason(reason))


def restore(film, actor):
    """Undo a disqualification and a hide: the film is back in the contest and in view."""
    require_organizer(actor)
    if film.disqualified_at is not None:
        before = _film_state(film)
        film.disqualified_at = None
        if film.hidden_at is None:
            film.moderation_reason = None
        audit.record(actor, film.contest, "film.reinstate", film.public_id, before,
                     _film_state(film))
        db.session.commit()
    if film.hidden_at is not None:
        moderation.restore(film, actor)
    return film


def original_link(film, actor, expires_s=300):
    """A short-lived link to the private original; each download is logged."""
    require_organizer(actor)
    storage = get_storage()
    if not film.original_key or not storage.exists(film.original_key):
        raise DomainError("The original of this film is no longer stored.", status=404)
    audit.record(actor, film.contest, "film.original", film.public_id, None,
                 {"expires_s": expires_s})
    db.session.commit()
    return storage.signed_url(film.original_key, expires_s)


def retry(job, actor):
    """Give a failed processing job a fresh round of attempts."""
    require_organizer(actor)
    if job.state != "failed" or job.film is None:
        raise DomainError("Only a failed processing job can be retried.", status=409)
    audit.record(actor, job.film.contest, "job.retry", job.film.public_id,
                 {"state": job.state, "error": (job.error or "")[:300]}, {"state": "queued"})
    jobs.retry_job(job.id)  # commits the audit entry with the job's new state
    return job


def get_job(job_id):
    job = db.session.get(Job, job_id)
    if job is None:
        raise DomainError("No job has that number.", status=404)
    return job


# -- users and roles -------------------------------------------------------------------------


def find_users(q="", limit=50):
    """Accounts whose email or name contains q (newest first); the newest when q is empty."""
    query = select(User).order_by(User.created_at.desc(), User.id.desc()).limit(limit)
    q = (q or "").strip()
    if q:
        query = query.where(or_(User.email.icontains(q, autoescape=True),
                                User.display_name.icontains(q, autoescape=True)))
    return db.session.scalars(query).all()


def set_role(user, role, granted, actor):
    require_organizer(actor)
    if user.id == actor.id and role == "organizer" and not granted:
        raise DomainError("You cannot remove your own organizer role.", status=409)
    before = user.has_role(role)
    if before != granted:
        audit.record(actor, None, "user.role", user.public_id, {role: before}, {role: granted})
    grant_role(user, role, granted)  # commits, with the audit entry
    return user
