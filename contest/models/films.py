"""Films (contest entries) and their stored renditions."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.base import public_id, utcnow

STATUSES = ("processing", "ready", "rejected", "failed")
VERDICTS = ("verified", "mismatch", "unknown")


class Film(db.Model):
    __tablename__ = "films"
    __table_args__ = (
        Index("ix_films_contest_votes", "contest_id", "status", "vote_count"),
        Index("ix_films_contest_published", "contest_id", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="processing", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    # The private original: a server-made key; the client's name is only a label.
    original_key: Mapped[str | None] = mapped_column(String(255))
    original_name: Mapped[str | None] = mapped_column(String(255))
    original_size: Mapped[int | None] = mapped_column(BigInteger)
    original_sha256: Mapped[str | None] = mapped_column(String(64))

    duration_s: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    fps: Mapped[float | None]

    device_make: Mapped[str | None] = mapped_column(String(60))
    device_model: Mapped[str | None] = mapped_column(String(80))
    device_verdict: Mapped[str | None] = mapped_column(String(10))
    # Raw tags, creation time, editor/encoder signs, rotation: what the verdict rests on.
    device_evidence: Mapped[dict | None] = mapped_column(JSON)

    # Counters kept on the row, changed atomically with the rows they count.
    vote_count: Mapped[int] = mapped_column(default=0, server_default="0")
    trend_score: Mapped[float] = mapped_column(default=0.0, server_default="0")
    view_count: Mapped[int] = mapped_column(default=0, server_default="0")
    withdrawn_at: Mapped[datetime | None]
    # Moderation: a disqualified film leaves the contest, a hidden one leaves public view;
    # the filmmaker sees the reason.
    disqualified_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    moderation_reason: Mapped[str | None] = mapped_column(String(300))
    comments_enabled: Mapped[bool] = mapped_column(default=True, server_default="1")
    captions_key: Mapped[str | None] = mapped_column(String(255))

    poster_key: Mapped[str | None] = mapped_column(String(255))
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    hls_key: Mapped[str | None] = mapped_column(String(255))

    contest = relationship("Contest")
    owner = relationship("User")
    renditions: Mapped[list["Rendition"]] = relationship(
        back_populates="film",
        cascade="all, delete-orphan",
        order_by="Rendition.height.desc()",
        lazy="selectin",
    )
    jobs = relationship(
        "Job", back_populates="film", cascade="all, delete-orphan", order_by="Job.id"
    )

    @hybrid_property
    def is_public(self):
        """Shown to everyone: ready, and not withdrawn, hidden or disqualified."""
        return (self.status == "ready" and self.withdrawn_at is None
                and self.hidden_at is None and self.disqualified_at is None)

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls):
        return and_(cls.status == "ready", cls.withdrawn_at.is_(None), cls.hidden_at.is_(None),
                    cls.disqualified_at.is_(None))

    @hybrid_property
    def in_competition(self):
        """Still competing: ready, not withdrawn or disqualified (a hidden film is judged)."""
        return (self.status == "ready" and self.withdrawn_at is None
                and self.disqualified_at is None)

    @in_competition.inplace.expression
    @classmethod
    def _in_competition_expression(cls):
        return and_(cls.status == "ready", cls.withdrawn_at.is_(None),
                    cls.disqualified_at.is_(None))

    @property
    def flagged(self):
        return self.device_verdict in ("mismatch", "unknown")

    def __repr__(self):
        return f"<Film {self.public_id} {self.status}>"


class Rendition(db.Model):
    """One stored H.264/AAC MP4 of a film at one height."""

    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("film_id", "height"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    height: Mapped[int]
    width: Mapped[int]
    key: Mapped[str] = mapped_column(String(255))
    bytes: Mapped[int] = mapped_column(BigInteger)

    film: Mapped[Film] = relationship(back_populates="renditions")
