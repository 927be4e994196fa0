"""Comments on film pages: plain text with links, replies one level deep.

A comment's body is stored as typed and shown escaped; only http(s) addresses
become links (rel="nofollow ugc noopener"). Deleting keeps the row as a
placeholder so its replies stay in place; hidden comments (moderation) are shown
only to their author and organizers.
"""
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Comment
from contest.operations.notifications import notify, path_for

BODY_MAX = 2000
LINK_TEXT_MAX = 60
URL = re.compile(r"https?://[^\s<>\"'`]+", re.I)
TRAILING = ".,;:!?'\")]}"


# -- showing a body --------------------------------------------------------------------------


def render_body(body):
    """Escaped text in which each http(s) address is a nofollow link; never the user's HTML."""
    out, last = [], 0
    for match in URL.finditer(body or ""):
        url = _trim(match.group(0))
        end = match.start() + len(url)
        out.append(escape(body[last:match.start()]))
        out.append(_link(url) if _safe_url(url) else escape(url))
        last = end
    out.append(escape((body or "")[last:]))
    return Markup("").join(out)


def _trim(url):
    """Leave the sentence's punctuation outside the link; keep balanced brackets."""
    while url and url[-1] in TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _safe_url(url):
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _link(url):
    text = url if len(url) <= LINK_TEXT_MAX else url[:LINK_TEXT_MAX - 1] + "…"
    return Markup('<a href="{}" rel="nofollow ugc noopener" target="_blank">{}</a>').format(
        url, text)


# -- who may do what -------------------------------------------------------------------------


def film_open_for_comments(film):
    return film.is_public and film.comments_enabled


def can_comment(film, user):
    return bool(user and user.is_authenticated and user.is_active
                and film_open_for_comments(film))


def can_change(comment, user):
    """Only the author edits or deletes a comment, while it is neither deleted nor hidden."""
    return bool(user and user.is_authenticated and user.is_active
                and comment.author_id == user.id and comment.deleted_at is None
                and comment.hidden_at is None)


def can_see_hidden(comment, user):
    return bool(user and user.is_authenticated and
                (user.id == comment.author_id or user.is_organizer))


# -- changes ---------------------------------------------------------------------------------


def _clean(body):
    body = (body or "").strip()
    if not body:
        raise DomainError("Write something first.", field="body")
    if len(body) > BODY_MAX:
        raise DomainError(f"Keep a comment under {BODY_MAX} characters.", field="body")
    return body


def add_comment(film, author, body, parent=None):
    """Post a comment (or a reply: a reply to a reply joins its top comment)."""
    if not (author and author.is_active):
        raise DomainError("This account is suspended.", status=403)
    if not film_open_for_comments(film):
        raise DomainError("Comments are turned off for this film.", status=403)
    body = _clean(body)
    if parent is not None:
        if parent.film_id != film.id or parent.deleted_at or parent.hidden_at:
            raise DomainError("That comment cannot be replied to.", status=409)
        parent = parent.parent or parent
    comment = Comment(film=film, author=author, body=body, parent=parent)
    db.session.add(comment)
    db.session.flush()
    _notify_about(comment)
    db.session.commit()
    return comment


def _notify_about(comment):
    film, author, parent = comment.film, comment.author, comment.parent
    link = path_for("gallery.film", public_id=film.public_id) + f"#c-{comment.public_id}"
    told = {author.id}
    if parent is not None and parent.author_id not in told:
        notify(parent.author, "reply", f"{author.display_name} replied to your comment on "
               f"“{film.title}”.", link, film=film.public_id, comment=comment.public_id)
        told.add(parent.author_id)
    if film.owner_id not in told:
        notify(film.owner, "comment", f"{author.display_name} commented on “{film.title}”.",
               link, film=film.public_id, comment=comment.public_id)


def edit_comment(comment, actor, body):
    if not can_change(comment, actor):
        raise DomainError("Only its author can edit this comment.", status=403)
    body = _clean(body)
    if body != comment.body:
        comment.body, comment.edited_at = body, clock.now()
    db.session.commit()
    return comment


def delete_comment(comment, actor):
    """Soft delete: the text goes, a placeholder keeps the replies in place."""
    if not can_change(comment, actor):
        raise DomainError("Only its author can delete this comment.", status=403)
    comment.deleted_at = clock.now()
    comment.body = ""
    db.session.commit()
    return comment


def set_comments_enabled(film, actor, enabled):
    """The filmmaker (or an organizer) turns comments on or off for a film."""
    if not (actor and actor.is_authenticated and
            (actor.id == film.owner_id or actor.is_organizer)):
        raise DomainError("Only the filmmaker can turn comments on or off.", status=403)
    film.comments_enabled = bool(enabled)
    db.session.commit()
    return film


def get_comment(public_id):
    comment = db.session.scalar(db.select(Comment).filter_by(public_id=public_id))
    if comment is None:
        raise DomainError("No comment has that address.", status=404)
    return comment


# -- the thread ------------------------------------------------------------------------------


@dataclass
class Shown:
    """A comment as one viewer sees it: state is shown, deleted or hidden."""

    comment: Comment
    state: str
    by_filmmaker: bool
    replies: list = field(default_factory=list)


def thread(film, viewer, newest_first=True):
    """Top comments (newest or oldest first), each with its replies oldest first."""
    rows = db.session.scalars(
        db.select(Comment).filter_by(film_id=film.id).options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)).all()
    replies = {}
    for row in rows:
        if row.parent_id is not None:
            replies.setdefault(row.parent_id, []).append(row)
    shown = []
    for row in rows:
        if row.parent_id is None:
            top = _shown(film, row, viewer, [_shown(film, r, viewer) for r in
                                             replies.get(row.id, [])])
            if top is not None:
                shown.append(top)
    return shown[::-1] if newest_first else shown


def _shown(film, row, viewer, replies=None):
    """None when the viewer sees nothing of it (a placeholder only holds visible replies)."""
    replies = [r for r in (replies or []) if r is not None]
    if row.hidden_at is not None and not can_see_hidden(row, viewer):
        state = "hidden-placeholder"
    elif row.deleted_at is not None:
        state = "deleted"
    else:
        state = "hidden" if row.hidden_at is not None else "shown"
    if state in ("hidden-placeholder", "deleted") and not replies:
        return None
    return Shown(row, state, row.author_id == film.owner_id, replies)


def count_visible(film):
    """Comments anyone can read (for a heading)."""
    return db.session.scalar(db.select(db.func.count(Comment.id)).where(
        Comment.film_id == film.id, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None)))

