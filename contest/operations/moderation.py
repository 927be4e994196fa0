"""Reports of films and comments, and the organizers' decisions on them.

Anyone signed in reports a film or a comment once, with a reason. When a target
has REPORT_HIDE_THRESHOLD open reports (default 3) it is hidden until an
organizer decides: hide (uphold the reports), restore (show it again), or dismiss
(the reports were unfounded; an automatic hide is lifted). Organizers may also
suspend the author. Every decision goes to the audit log in the same commit.
"""
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Comment, Film, Report, User
from contest.operations import audit

DEFAULT_THRESHOLD = 3
REASON_MAX = 500
AUTO_REASON = "Hidden until an organizer reviews the reports about it."


def threshold():
    return int(current_app.config.get("REPORT_HIDE_THRESHOLD", DEFAULT_THRESHOLD))


# -- targets: a film or a comment ------------------------------------------------------------


def _is_comment(target):
    return isinstance(target, Comment)


def _film_of(target):
    return target.film if _is_comment(target) else target


def _author(target):
    return target.author if _is_comment(target) else target.owner


def _filter(target):
    """Reports about this target: a comment's carry its film too (for the unique key)."""
    if _is_comment(target):
        return Report.comment_id == target.id
    return (Report.film_id == target.id) & Report.comment_id.is_(None)


def _label(target):
    return ("comment", target.public_id) if _is_comment(target) else ("film", target.public_id)


def is_hidden(target):
    return target.hidden_at is not None


def hidden_reason(target):
    return target.hidden_reason if _is_comment(target) else target.moderation_reason


def _set_hidden(target, reason):
    target.hidden_at = clock.now() if reason is not None else None
    if _is_comment(target):
        target.hidden_reason = reason[:200] if reason else None
    elif target.disqualified_at is None or reason is not None:
        target.moderation_reason = reason[:300] if reason else None


# -- reporting -------------------------------------------------------------------------------


def report(target, reporter, reason):
    """File reporter's report about a film or a comment; hides it at the threshold."""
    reason = _check_report(target, reporter, reason)
    row = Report(reporter_id=reporter.id, film_id=_film_of(target).id, reason=reason,
                 comment_id=target.id if _is_comment(target) else None)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("You have already reported this.", status=409) from None
    if not is_hidden(target) and open_count(target) >= threshold():
        _set_hidden(target, AUTO_REASON)
        audit.record(None, _film_of(target).contest, f"{_label(target)[0]}.auto_hide",
                     _label(target)[1], {"hidden": False}, {"hidden": True,
                                                             "reports": open_count(target)})
    db.session.commit()
    return row


def _check_report(target, reporter, reason):
    if not (reporter and reporter.is_authenticated and reporter.is_active):
        raise DomainError("Sign in with an active account to report.", status=403)
    if _author(target).id == reporter.id:
        raise DomainError("You cannot report your own work.", status=403)
    if _is_comment(target) and target.deleted_at is not None:
        raise DomainError("That comment was deleted.", status=409)
    if not _is_comment(target) and target.status != "ready":
        raise DomainError("No film has that address.", status=404)
    if already_reported(target, reporter):
        raise DomainError("You have already reported this.", status=409)
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainError(f"Say what is wrong, in up to {REASON_MAX} characters.",
                          field="reason")
    return reason


def already_reported(target, user):
    if not (user and user.is_authenticated):
        return False
    return db.session.scalar(db.select(Report.id).where(
        _filter(target), Report.reporter_id == user.id).limit(1)) is not None


def reported_comment_ids(film, user):
    """Ids of the film's comments this user has reported (one query for a whole thread)."""
    if not (user and user.is_authenticated):
        return set()
    return set(db.session.scalars(db.select(Report.comment_id).where(
        Report.film_id == film.id, Report.reporter_id == user.id,
        Report.comment_id.is_not(None))))


def open_count(target):
    return db.session.scalar(db.select(func.count(Report.id)).where(
        _filter(target), Report.state == "open"))


# -- the queue -------------------------------------------------------------------------------


@dataclass
class Case:
    """One reported film or comment with its open reports, oldest first."""

    kind: str  # "film" or "comment"
    target: object
    reports: list = field(default_factory=list)

    @property
    def film(self):
        return _film_of(self.target)

    @property
    def hidden(self):
        return is_hidden(self.target)

    @property
    def opened_at(self):
        return self.reports[0].created_at


def queue(contest=None):
    """Open reports grouped by target, the longest waiting first; optionally one contest."""
    query = db.select(Report).where(Report.state == "open").order_by(Report.created_at,
                                                                     Report.id)
    if contest is not None:
        query = query.join(Film, Film.id == Report.film_id).where(Film.contest_id == contest.id)
    cases = {}
    for row in db.session.scalars(query):
        target = row.comment if row.comment_id is not None else row.film
        key = _label(target)
        cases.setdefault(key, Case(key[0], target)).reports.append(row)
    return list(cases.values())


def open_reports_total():
    return db.session.scalar(db.select(func.count(Report.id)).where(Report.state == "open"))


def find_target(kind, public_id):
    """The film or comment a queue entry names; DomainError 404 otherwise."""
    model = {"film": Film, "comment": Comment}.get(kind)
    target = model and db.session.scalar(db.select(model).filter_by(public_id=public_id))
    if target is None:
        raise DomainError("Nothing reported has that address.", status=404)
    return target


# -- decisions -------------------------------------------------------------------------------


def _require_organizer(actor):
    if not (actor and actor.is_authenticated and actor.is_organizer):
        raise DomainError("Only organizers moderate.", status=403)


def _resolve(target, actor, state):
    db.session.execute(update(Report).where(_filter(target), Report.state == "open").values(
        state=state, resolved_at=clock.now(), resolved_by_id=actor.id))


def _decide(target, actor, action, state, reason):
    """Apply a decision: reason None shows the target, a text hides it with that reason."""
    _require_organizer(actor)
    before = {"hidden": is_hidden(target), "reason": hidden_reason(target),
              "open_reports": open_count(target)}
    if reason is not None or is_hidden(target):
        _set_hidden(target, reason)
    _resolve(target, actor, state)
    kind, public_id = _label(target)
    audit.record(actor, _film_of(target).contest, f"{kind}.{action}", public_id, before,
                 {"hidden": is_hidden(target), "reason": hidden_reason(target)})
    db.session.commit()
    return target


def hide(target, actor, reason):
    """Uphold the reports: the target leaves public view; its author sees the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason: the author will see it.", field="reason")
    return _decide(target, actor, "hide", "hidden", reason)


def restore(target, actor):
    """Show the target again, whoever hid it; open reports are closed as restored."""
    return _decide(target, actor, "restore", "restored", None)


def dismiss(target, actor):
    """The reports were unfounded: close them; lift an automatic hide, keep an organizer's."""
    if is_hidden(target) and hidden_reason(target) != AUTO_REASON:
        _require_organizer(actor)
        _resolve(target, actor, "dismissed")
        audit.record(actor, _film_of(target).contest, f"{_label(target)[0]}.dismiss",
                     _label(target)[1], None, {"hidden": True})
        db.session.commit()
        return target
    return _decide(target, actor, "dismiss", "dismissed", None)


# -- accounts --------------------------------------------------------------------------------


def suspend_author(target, actor, reason=""):
    """Suspend whoever wrote the comment or entered the film."""
    return suspend_user(_author(target), actor, reason, contest=_film_of(target).contest)


def suspend_user(user, actor, reason="", contest=None):
    """Suspended accounts cannot sign in, vote, enter or comment."""
    _require_organizer(actor)
    if user.id == actor.id:
        raise DomainError("You cannot suspend your own account.", status=409)
    if user.suspended_at is None:
        user.suspended_at = clock.now()
        audit.record(actor, contest, "user.suspend", user.public_id, {"suspended": False},
                     {"suspended": True, "reason": (reason or "")[:300]})
    db.session.commit()
    return user


def unsuspend_user(user, actor):
    _require_organizer(actor)
    if user.suspended_at is not None:
        user.suspended_at = None
        audit.record(actor, None, "user.unsuspend", user.public_id, {"suspended": True},
                     {"suspended": False})
    db.session.commit()
    return user


def get_user(public_id):
    user = db.session.scalar(db.select(User).filter_by(public_id=public_id))
    if user is None:
        raise DomainError("No account has that address.", status=404)
    return user
