"""The audit log: every change to scores, nominations, the shortlist and awards."""
from contest.extensions import db
from contest.models import AuditEntry


def record(actor, contest, action, subject="", before=None, after=None):
    """Add an entry to the session; the caller's operation commits it with its change."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        contest_id=contest.id if contest is not None else None,
        action=action,
        subject=str(subject)[:120],
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def entries(contest, limit=500):
    """The newest entries of a contest first."""
    return db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.contest_id == contest.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
