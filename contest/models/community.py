"""Comments, reports and notifications: the conversation around the films."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.base import public_id, utcnow

NOTIFICATION_KINDS = (
    "film_ready", "film_refused", "film_failed", "comment", "reply", "shortlisted", "won",
    "voting_open", "judge_assigned",
)


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_film_created", "film_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                           index=True)
    # Replies are one level deep: a reply's parent is never itself a reply.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(String(200))

    author = relationship("User")
    film = relationship("Film")
    parent = relationship("Comment", remote_side=[id])


class Report(db.Model):
    """Someone's report of a film or a comment, waiting for an organizer."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("reporter_id", "film_id", "comment_id"),
        # NULLs differ in a unique constraint, so film reports need their own index.
        Index("uq_reports_reporter_film", "reporter_id", "film_id", unique=True,
              sqlite_where=text("comment_id IS NULL"),
              postgresql_where=text("comment_id IS NULL")),
        Index("ix_reports_state", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    film_id: Mapped[int | None] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"),
                                                index=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    # open, hidden (upheld), restored, dismissed
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    reporter = relationship("User", foreign_keys=[reporter_id])
    film = relationship("Film")
    comment = relationship("Comment")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class NotificationSetting(db.Model):
    """A user's choice for one kind of notification; no row means both on."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    in_site: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)


class OutgoingEmail(db.Model):
    """Emails queued or sent through the job runner (kept for retries and the record)."""

    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
