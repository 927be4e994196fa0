"""Notifications: a row for the in-site bell and an email sent by the job runner.

Each kind can be switched off per user, on the site and by email separately
(NotificationSetting; no row means both on). Emails are rendered when the
notification is made, stored as OutgoingEmail rows and sent by a Job(kind="email")
handed to the runner only after the caller's commit. Every email carries a signed
one-click unsubscribe link for its kind (also in a List-Unsubscribe header).
"""
import re

from flask import current_app, has_request_context, render_template, request, url_for
from flask_mailman import EmailMultiAlternatives
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import event, func, update
from sqlalchemy.orm import Session

from contest import clock, jobs
from contest.errors import DomainError
from contest.extensions import db
from contest.models import (
    AuditEntry,
    Contest,
    Film,
    Notification,
    NotificationSetting,
    OutgoingEmail,
    User,
)
from contest.models.community import NOTIFICATION_KINDS
from contest.operations import audit

LABELS = {
    "film_ready": "Your film is ready",
    "film_refused": "Your film was refused",
    "film_failed": "Your film failed to process",
    "comment": "A new comment on your film",
    "reply": "A reply to your comment",
    "shortlisted": "Your film was shortlisted",
    "won": "Your film won an award",
    "voting_open": "Voting opens in a contest you entered",
    "judge_assigned": "You were assigned as a judge",
}
PENDING = "pending_email_jobs"
# The text body ends with this line; delivery reads the link back for the header.
UNSUBSCRIBE_LINE = re.compile(r"^Unsubscribe from these emails: (\S+)$", re.M)


# -- choices ---------------------------------------------------------------------------------


def preferences(user):
    """{kind: {"in_site": bool, "email": bool}} for every kind, defaults filled in."""
    rows = db.session.scalars(db.select(NotificationSetting).filter_by(user_id=user.id))
    chosen = {row.kind: {"in_site": row.in_site, "email": row.email} for row in rows}
    return {kind: chosen.get(kind, {"in_site": True, "email": True})
            for kind in NOTIFICATION_KINDS}


def save_preferences(user, choices):
    """Store {kind: {"in_site": bool, "email": bool}}; kinds left out keep their choice."""
    unknown = set(choices) - set(NOTIFICATION_KINDS)
    if unknown:
        raise DomainError("Unknown kind of notification: " + ", ".join(sorted(unknown)))
    for kind, choice in choices.items():
        _set(user, kind, **{k: bool(v) for k, v in choice.items() if k in ("in_site", "email")})
    db.session.commit()


def _set(user, kind, **values):
    row = db.session.scalar(db.select(NotificationSetting).filter_by(user_id=user.id, kind=kind))
    if row is None:
        row = NotificationSetting(user_id=user.id, kind=kind, in_site=True, email=True)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)


# -- one-click unsubscribe -------------------------------------------------------------------


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(user, kind):
    """A signed token naming the user and the kind; it does not expire."""
    return _serializer().dumps({"u": user.public_id, "k": kind})


def read_unsubscribe_token(token):
    """(user, kind) for a valid token; DomainError 404 otherwise."""
    try:
        data = _serializer().loads(token)
        user = db.session.scalar(db.select(User).filter_by(public_id=data["u"]))
        kind = data["k"]
    except (BadSignature, KeyError, TypeError):
        user = kind = None
    if user is None or kind not in NOTIFICATION_KINDS:
        raise DomainError("This unsubscribe link is not valid.", status=404)
    return user, kind


def unsubscribe(token):
    """Turn off the emails of the token's kind; returns (user, kind)."""
    user, kind = read_unsubscribe_token(token)
    _set(user, kind, email=False)
    db.session.commit()
    return user, kind


# -- making notifications --------------------------------------------------------------------


def notify(user, kind, message, link=None, **data):
    """Tell user, on the site and/or by email as they chose; the caller commits.

    link is a path on this site. Emails go only to confirmed addresses. Returns the
    Notification row, or None when the user turned the site notice off.
    """
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    choice = preferences(user)[kind]
    row = None
    if choice["in_site"]:
        row = Notification(user_id=user.id, kind=kind, message=message[:300], link=link,
                           data=data or None)
        db.session.add(row)
    if choice["email"] and user.email_verified_at is not None and user.is_active:
        _queue_email(user, kind, message, link)
    return row


def _queue_email(user, kind, message, link):
    context = {"user": user, "message": message, "label": LABELS[kind],
               "link_url": site_url(link) if link else None,
               "settings_url": site_url(path_for("community.notification_settings")),
               "unsubscribe_url": site_url(path_for("community.unsubscribe",
                                                   token=unsubscribe_token(user, kind)))}
    email = OutgoingEmail(to=user.email, subject=message[:200],
                          body_text=render_template("email/notification.txt", **context),
                          body_html=render_template("email/notification.html", **context))
    job = jobs.create_job(kind="email", email=email)
    db.session.flush()
    db.session().info.setdefault(PENDING, []).append(job.id)
    return email


def path_for(endpoint, **values):
    """url_for's path, also outside a request (jobs, the CLI) where url_for needs SERVER_NAME."""
    if has_request_context():
        return url_for(endpoint, **values)
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    return current_app.url_map.bind("localhost", script_name=root).build(endpoint, values)


def site_url(path):
    """An absolute URL for a path: the request's host, else SERVER_NAME, else SITE_URL."""
    if has_request_context():
        base = request.host_url
    elif current_app.config.get("SERVER_NAME"):
        scheme = current_app.config.get("PREFERRED_URL_SCHEME") or "http"
        base = f"{scheme}://{current_app.config['SERVER_NAME']}/"
    else:
        base = current_app.config.get("SITE_URL") or "http://localhost:5000/"
    return base.rstrip("/") + path


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session):
    """Only committed email jobs go to the runner (a rollback forgets them)."""
    for job_id in session.info.pop(PENDING, []):
        jobs.enqueue(job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session):
    session.info.pop(PENDING, None)


def deliver_email_job(job):
    """The handler of an "email" job: send the stored message once, then mark it sent."""
    email = job.email
    if email is None or email.state == "sent":
        return
    email.attempts += 1
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.body_text, to=[email.to],
        from_email=current_app.config["MAIL_DEFAULT_SENDER"], headers=_headers(email))
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    message.send()
    email.state, email.sent_at = "sent", clock.now()
    db.session.commit()


def _headers(email):
    found = UNSUBSCRIBE_LINE.search(email.body_text)
    if not found:
        return {}
    return {"List-Unsubscribe": f"<{found.group(1)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# -- reading them ----------------------------------------------------------------------------


def unread_count(user):
    return db.session.scalar(db.select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def recent(user, limit=100):
    return db.session.scalars(
        db.select(Notification).filter_by(user_id=user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()


def mark_all_read(user):
    db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(
        read_at=clock.now()))
    db.session.commit()


# -- the hooks other modules call ------------------------------------------------------------


def film_processed(film):
    """Call at the end of the pipeline: tells the filmmaker it is ready, refused or failed."""
    kind = {"ready": "film_ready", "rejected": "film_refused", "failed": "film_failed"}.get(
        film.status)
    if kind is None:
        return None
    messages = {"film_ready": f"“{film.title}” is ready and published.",
                "film_refused": f"“{film.title}” was refused: {film.error or 'see why'}",
                "film_failed": f"“{film.title}” could not be processed."}
    link = _film_link(film) if kind == "film_ready" else path_for(
        "submit.film_status", public_id=film.public_id)
    row = notify(film.owner, kind, messages[kind], link, film=film.public_id)
    db.session.commit()
    return row


def notify_shortlisted(film, commit=True):
    row = notify(film.owner, "shortlisted", f"“{film.title}” is on the shortlist of "
                 f"{film.contest.title}.", _film_link(film), film=film.public_id)
    if commit:
        db.session.commit()
    return row


def notify_won(film, award_name, commit=True):
    row = notify(film.owner, "won", f"“{film.title}” won {award_name} in {film.contest.title}.",
                 _film_link(film), film=film.public_id, award=award_name)
    if commit:
        db.session.commit()
    return row


def notify_judge_assigned(user, contest, commit=True):
    row = notify(user, "judge_assigned", f"You are a judge of {contest.title}.",
                 path_for("judging.index"), contest=contest.slug)
    if commit:
        db.session.commit()
    return row


def _film_link(film):
    return path_for("gallery.film", public_id=film.public_id)


def notify_voting_open(at=None):
    """Tell each filmmaker with a published film that voting opened, once per contest.

    A contest is marked done by an audit entry written in the same commit as its
    notices, so running this again (from cron, say) notifies nobody twice.
    Returns {contest slug: filmmakers notified} for the contests handled now.
    """
    done = {}
    for contest in _contests_voting_now(at or clock.now()):
        owners = db.session.scalars(db.select(User).where(User.id.in_(
            db.select(Film.owner_id).where(Film.contest_id == contest.id,
                                           Film.in_competition)))).all()
        link = path_for("gallery.contest", slug=contest.slug)
        for owner in owners:
            notify(owner, "voting_open", f"Voting is open in {contest.title}.", link,
                   contest=contest.slug)
        audit.record(None, contest, "notify.voting_open", contest.slug, None,
                     {"filmmakers": len(owners)})
        db.session.commit()
        done[contest.slug] = len(owners)
    return done


def _contests_voting_now(now):
    notified = db.select(AuditEntry.contest_id).where(AuditEntry.action == "notify.voting_open",
                                                      AuditEntry.contest_id.is_not(None))
    return db.session.scalars(db.select(Contest).where(
        Contest.voting_open_at <= now, Contest.voting_close_at > now,
        Contest.id.not_in(notified)).order_by(Contest.id)).all()


def notify_results(at=None):
    """Once a contest's results are public, tell the shortlisted and the winners; once each.

    Nothing goes out before the results time, so no one learns early. Like
    notify_voting_open, an audit entry in the same commit marks a contest done.
    Returns {contest slug: notices sent}.
    """
    from contest.operations.results import results_public

    now = at or clock.now()
    done = {}
    for contest in _unannounced(now):
        if not results_public(contest, now):
            continue
        sent = _announce(contest)
        audit.record(None, contest, "notify.results", contest.slug, None, {"notices": sent})
        db.session.commit()
        done[contest.slug] = sent
    return done


def _unannounced(now):
    announced = db.select(AuditEntry.contest_id).where(AuditEntry.action == "notify.results",
                                                       AuditEntry.contest_id.is_not(None))
    return db.session.scalars(db.select(Contest).where(
        Contest.results_confirmed_at.is_not(None), Contest.results_at <= now,
        Contest.id.not_in(announced)).order_by(Contest.id)).all()


def _announce(contest):
    from contest.models import Award, ShortlistEntry

    sent = 0
    for entry in db.session.scalars(db.select(ShortlistEntry).where(
            ShortlistEntry.contest_id == contest.id)):
        notify_shortlisted(entry.film, commit=False)
        sent += 1
    for award in db.session.scalars(db.select(Award).where(Award.contest_id == contest.id,
                                                           Award.film_id.is_not(None))):
        notify_won(award.film, award.name, commit=False)
        sent += 1
    return sent
