"""Durable background jobs: the state lives here, not in a worker's memory."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.base import utcnow

STATES = ("queued", "running", "done", "failed")


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A job works on a film ("transcode") or sends a queued email ("email").
    film_id: Mapped[int | None] = mapped_column(
        ForeignKey("films.id", ondelete="CASCADE"), index=True)
    email_id: Mapped[int | None] = mapped_column(ForeignKey("emails.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="transcode")
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    progress: Mapped[int] = mapped_column(default=0)
    stage: Mapped[str] = mapped_column(String(80), default="Waiting for a free encoder")
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    film = relationship("Film", back_populates="jobs")
    email = relationship("OutgoingEmail")
