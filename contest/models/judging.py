"""Judging: panels, the rubric, scores, reviews, the shortlist, awards and the audit log."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.base import utcnow

DEFAULT_CRITERIA = ("Story", "Craft", "Use of the phone", "Originality")


class JudgeAssignment(db.Model):
    """A judge on a contest's panel."""

    __tablename__ = "judge_assignments"
    __table_args__ = (UniqueConstraint("contest_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")
    contest = relationship("Contest")


class Criterion(db.Model):
    """One line of a contest's rubric."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("contest_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(default=1.0)
    min_score: Mapped[int] = mapped_column(default=1)
    max_score: Mapped[int] = mapped_column(default=10)
    position: Mapped[int] = mapped_column(default=0)


class Score(db.Model):
    """A judge's score of one film on one criterion; unique in the database."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("judge_id", "film_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("criteria.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Review(db.Model):
    """A judge's private note, nomination and conflict declaration for one film."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("judge_id", "film_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    nominated: Mapped[bool] = mapped_column(default=False)
    conflict: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ShortlistEntry(db.Model):
    __tablename__ = "shortlist"
    __table_args__ = (UniqueConstraint("contest_id", "film_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    film = relationship("Film")


class Award(db.Model):
    """A named award of a contest and, once picked, its winning film."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("contest_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    # "jury", "audience" (filled from the votes) or "custom".
    kind: Mapped[str] = mapped_column(String(10), default="custom")
    film_id: Mapped[int | None] = mapped_column(ForeignKey("films.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)

    film = relationship("Film")


class AuditEntry(db.Model):
    """Who changed what, when, with the value before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contest_id: Mapped[int | None] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(120), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    actor = relationship("User")
