"""Public profiles: a filmmaker's name, short bio, one link, and published films."""
from urllib.parse import urlsplit

from sqlalchemy.orm import joinedload

from contest.errors import DomainError
from contest.extensions import db
from contest.models import Film, User

NAME_MAX = 80
BIO_MAX = 500
WEBSITE_MAX = 300


def get_profile_user(public_id):
    """The account behind /u/<public_id>; suspended accounts have no public profile."""
    user = db.session.scalar(db.select(User).filter_by(public_id=public_id))
    if user is None or not user.is_active:
        raise DomainError("No profile has that address.", status=404)
    return user


def clean_website(url):
    """An absolute http(s) address with a real host, or None when left empty."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (parts.scheme.lower() not in ("http", "https") or "." not in host
            or parts.username or parts.password or any(c.isspace() for c in url)
            or len(url) > WEBSITE_MAX):
        raise DomainError("Give a full web address starting with https:// (or http://).",
                          field="website")
    return url


def update_profile(user, *, display_name, bio, website):
    """Change the public parts of an account."""
    display_name = (display_name or "").strip()
    bio = (bio or "").strip()
    if not display_name or len(display_name) > NAME_MAX:
        raise DomainError(f"Choose a display name of up to {NAME_MAX} characters.",
                          field="display_name")
    if len(bio) > BIO_MAX:
        raise DomainError(f"Keep the bio under {BIO_MAX} characters.", field="bio")
    user.website = clean_website(website)
    user.display_name, user.bio = display_name, bio
    db.session.commit()
    return user


def published_films(user):
    """The user's films anyone can watch, in every contest, newest first."""
    return db.session.scalars(
        db.select(Film).where(Film.owner_id == user.id, Film.is_public)
        .options(joinedload(Film.contest))
        .order_by(Film.published_at.desc(), Film.id.desc())).all()


def awards_of(film):
    """Published awards of a film, when the results module offers them."""
    try:
        from contest.operations.results import awards_for_film
    except ImportError:
        return []
    return awards_for_film(film)
