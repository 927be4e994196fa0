"""Votes, views and share counts: what the public does with a film."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.base import utcnow


class Vote(db.Model):
    """One account's vote for one film; the unique constraint is the rule."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("user_id", "film_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What this vote added to the film's trending score (taken back with the vote).
    weight: Mapped[float] = mapped_column(default=1.0)
    # Audit trail: never the address itself.
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    ua_family: Mapped[str | None] = mapped_column(String(40))

    user = relationship("User")
    film = relationship("Film")


class FilmView(db.Model):
    """A visitor's view of a film on one day; counted once."""

    __tablename__ = "film_views"
    __table_args__ = (UniqueConstraint("film_id", "visitor", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"))
    # A keyed hash of the visitor's cookie or address and the day: not reversible.
    visitor: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]


class ShareCount(db.Model):
    """How many visits a share channel (the `ref` of a share link) brought on one day."""

    __tablename__ = "share_counts"
    __table_args__ = (
        UniqueConstraint("film_id", "ref", "day"),
        Index("ix_share_counts_contest_day", "contest_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"))
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(20))
    day: Mapped[date]
    visits: Mapped[int] = mapped_column(default=0)
