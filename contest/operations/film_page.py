"""A published film's page: the filmmaker's edits, withdrawal, captions, views and shares.

Views are counted once per visitor per film per day: the visitor is a keyed hash
of an opaque id (a random cookie, or the address and user agent) and the day, so
a row cannot be traced back to a person nor linked across days. Share visits are
plain counters per channel and day, never per person.
"""
import hashlib
import hmac
import re
import secrets
import tempfile

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Film, FilmView, ShareCount, Vote
from contest.storage import get_storage

TITLE_MAX = 120
DESCRIPTION_MAX = 5000
CAPTIONS_MAX_BYTES = 512 * 1024
# The channels a share link can name; anything else is counted as "other".
SHARE_REFS = ("x", "facebook", "whatsapp", "reddit", "email", "copy", "native", "embed")
LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")
# films/<id>/captions-<lang>-<random>.vtt: the language rides in the key (no column for it).
CAPTIONS_KEY = re.compile(
    r"/captions-(?P<lang>[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})?)-[0-9a-f]+\.vtt$")
# Link-preview fetchers and crawlers: they read the page for its tags, nobody watches.
ROBOT = re.compile(r"bot\b|bot/|crawl|spider|slurp|facebookexternalhit|facebookcatalog|embedly|"
                   r"whatsapp|skypeuripreview|preview|validator", re.I)


# -- who may see and change a film ---------------------------------------------------------


def is_published(film):
    return film.is_public


def can_manage(film, user):
    """The filmmaker and organizers may edit a film."""
    return bool(user and user.is_authenticated and
                (user.id == film.owner_id or user.is_organizer))


def can_see(film, user):
    return is_published(film) or can_manage(film, user)


def can_withdraw(film, user):
    return (can_manage(film, user) and film.withdrawn_at is None
            and film.contest.accepting_entries())


def other_films_by(film, limit=12):
    """The filmmaker's other published films, newest first, in any contest."""
    query = select(Film).where(Film.owner_id == film.owner_id, Film.id != film.id,
                               Film.is_public)
    return db.session.scalars(
        query.order_by(Film.published_at.desc(), Film.id.desc()).limit(limit)).all()


def has_voted(film, user):
    if not (user and user.is_authenticated):
        return False
    return db.session.scalar(select(exists().where(Vote.user_id == user.id,
                                                   Vote.film_id == film.id)))


def votes_visible(film, at=None):
    """Counts stay hidden until voting closes when the contest says so."""
    contest = film.contest
    return not contest.hide_votes_until_close or (at or clock.now()) >= contest.voting_close_at


# -- the filmmaker's changes ---------------------------------------------------------------


def _require_manager(film, actor):
    if not can_manage(film, actor):
        raise DomainError("Only the filmmaker can change this film.", status=403)


def update_film(film, actor, *, title, description):
    """Change the title and the description (Markdown)."""
    _require_manager(film, actor)
    title = (title or "").strip()
    description = (description or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise DomainError(f"Give the film a title of up to {TITLE_MAX} characters.",
                          status=422, field="title")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(f"Keep the description under {DESCRIPTION_MAX} characters.",
                          status=422, field="description")
    film.title, film.description = title, description
    db.session.commit()
    return film


def withdraw_film(film, actor):
    """Take the film out of the contest; only while the contest accepts entries."""
    _require_manager(film, actor)
    if film.withdrawn_at is not None:
        raise DomainError("This film is already withdrawn.", status=409)
    if not film.contest.accepting_entries():
        raise DomainError("Films can only be withdrawn while the contest accepts entries.",
                          status=403, code="not_accepting")
    film.withdrawn_at = clock.now()
    db.session.commit()
    return film


# -- captions --------------------------------------------------------------------------------


def check_captions(data):
    """Raise DomainError unless data (bytes) is a WebVTT file we accept."""
    if len(data) > CAPTIONS_MAX_BYTES:
        raise DomainError(f"A captions file can be at most {CAPTIONS_MAX_BYTES // 1024} KB.",
                          status=413, field="file")
    body = data.removeprefix(b"\xef\xbb\xbf")
    if not body.startswith(b"WEBVTT") or body[6:7] not in (b"", b" ", b"\t", b"\n", b"\r"):
        raise DomainError("This is not a WebVTT file: it must start with the line WEBVTT.",
                          status=422, field="file")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError("A WebVTT file must be UTF-8 text.", status=422, field="file") from None
    if "-->" not in text:
        raise DomainError("This file has no captions in it (no cue times such as "
                          "00:00:01.000 --> 00:00:04.000).", status=422, field="file")


def set_captions(film, actor, stream, *, language="en"):
    """Store a WebVTT file as the film's captions; the old file goes once the new one is in."""
    _require_manager(film, actor)
    if not LANGUAGE.match(language or ""):
        raise DomainError("Give the language as a code such as en, fi or pt-BR.",
                          status=422, field="language")
    data = stream.read(CAPTIONS_MAX_BYTES + 1)
    check_captions(data)
    key = f"films/{film.public_id}/captions-{language}-{secrets.token_hex(8)}.vtt"
    storage = get_storage()
    with tempfile.NamedTemporaryFile(suffix=".vtt") as tmp:
        tmp.write(data)
        tmp.flush()
        storage.save(key, tmp.name, "text/vtt", public=True)
    old, film.captions_key = film.captions_key, key
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.delete(key)
        raise
    if old:
        storage.delete(old)
    return film


def remove_captions(film, actor):
    _require_manager(film, actor)
    old, film.captions_key = film.captions_key, None
    db.session.commit()
    if old:
        get_storage().delete(old)
    return film


def captions_language(film):
    match = CAPTIONS_KEY.search(film.captions_key or "")
    return match["lang"] if match else "en"


# -- views and shares ------------------------------------------------------------------------


def is_robot(user_agent):
    return not user_agent or bool(ROBOT.search(user_agent))


def visitor_hash(visitor, day):
    """A keyed hash of an opaque visitor id and the day: not reversible, not linkable."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"view|{day.isoformat()}|{visitor}".encode(), hashlib.sha256).hexdigest()


def record_view(film, visitor, *, aliases=()):
    """Count a view of film once per visitor and day; True when it was counted.

    aliases are other ids of the same visitor (a cookie being set right now): they are
    recorded, not counted, so the visitor's next request, carrying the cookie, is known.
    """
    day = clock.now().date()
    counted = _insert_view(film.id, visitor_hash(visitor, day), day)
    for alias in aliases:
        _insert_view(film.id, visitor_hash(alias, day), day)
    if counted:
        db.session.execute(update(Film).where(Film.id == film.id)
                           .values(view_count=Film.view_count + 1)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return counted


def _insert_view(film_id, visitor, day):
    """Insert-or-ignore on the (film, visitor, day) constraint; True if the row is new."""
    stmt = (_insert(FilmView).values(film_id=film_id, visitor=visitor, day=day)
            .on_conflict_do_nothing().returning(FilmView.id))
    # RETURNING gives a row only when one was inserted (rowcount differs between drivers).
    return db.session.execute(stmt).first() is not None


def share_ref(ref):
    """The channel a ref names, "other" for unknown ones, None for none."""
    ref = (ref or "").strip().lower()
    if not ref:
        return None
    return ref if ref in SHARE_REFS else "other"


def count_share_visit(film, ref):
    """One more visit brought by a share channel today (a counter, no visitor stored)."""
    channel = share_ref(ref)
    if channel is None:
        return None
    stmt = _insert(ShareCount).values(film_id=film.id, contest_id=film.contest_id,
                                      ref=channel, day=clock.now().date(), visits=1)
    stmt = stmt.on_conflict_do_update(index_elements=["film_id", "ref", "day"],
                                      set_={"visits": ShareCount.visits + 1})
    db.session.execute(stmt)
    db.session.commit()
    return channel


def _insert(model):
    """INSERT with ON CONFLICT for the database in use (SQLite and PostgreSQL share the SQL)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"insert-or-ignore is not written for {dialect}")
