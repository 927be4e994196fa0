"""Contests, their accepted phones and their phases."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest import clock
from contest.extensions import db
from contest.models.base import utcnow

PHASES = ("upcoming", "submissions", "screening", "voting", "judging", "results")
DEVICE_POLICIES = ("reject", "flag")


class Contest(db.Model):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    tagline: Mapped[str] = mapped_column(String(200), default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    prizes: Mapped[str] = mapped_column(Text, default="")
    device_policy: Mapped[str] = mapped_column(String(10), default="reject")
    max_duration_s: Mapped[int] = mapped_column(default=180)
    max_size_mb: Mapped[int] = mapped_column(default=500)
    min_height: Mapped[int] = mapped_column(default=360)
    max_entries_per_filmmaker: Mapped[int] = mapped_column(default=3)
    # None: one vote per film; N: N votes to spread over the contest.
    votes_per_account: Mapped[int | None]
    voting_requires_verified_email: Mapped[bool] = mapped_column(default=False)
    hide_votes_until_close: Mapped[bool] = mapped_column(default=False)
    blind_judging: Mapped[bool] = mapped_column(default=False)
    submissions_open_at: Mapped[datetime]
    submissions_close_at: Mapped[datetime]
    voting_open_at: Mapped[datetime]
    voting_close_at: Mapped[datetime]
    results_at: Mapped[datetime]
    # Set when the organizer confirms the shortlist and publishes the awards;
    # the public sees results only once this is set and results_at has passed.
    shortlist_confirmed_at: Mapped[datetime | None]
    results_confirmed_at: Mapped[datetime | None]
    # Whether judges in blind mode may see descriptions (they can name the filmmaker).
    blind_show_descriptions: Mapped[bool] = mapped_column(default=False, server_default="0")
    banner_key: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    phones: Mapped[list["AcceptedPhone"]] = relationship(
        back_populates="contest",
        cascade="all, delete-orphan",
        order_by="AcceptedPhone.id",
        lazy="selectin",
    )

    def phase(self, at=None):
        """The phase at a time; where windows overlap, the one that started last wins."""
        at = at or clock.now()
        windows = [
            (self.submissions_open_at, self.submissions_close_at, "submissions"),
            (self.voting_open_at, self.voting_close_at, "voting"),
            (self.results_at, None, "results"),
        ]
        active = [w for w in windows if w[0] <= at and (w[1] is None or at < w[1])]
        if active:
            return max(active, key=lambda w: w[0])[2]
        if at < self.submissions_open_at:
            return "upcoming"
        if at < self.voting_open_at:
            return "screening"
        return "judging"

    def accepting_entries(self, at=None):
        at = at or clock.now()
        return self.submissions_open_at <= at < self.submissions_close_at

    def voting_open(self, at=None):
        at = at or clock.now()
        return self.voting_open_at <= at < self.voting_close_at

    def results_published(self, at=None):
        return (at or clock.now()) >= self.results_at

    def timeline(self):
        """The five dates in order, as (key, label, time)."""
        return [
            ("submissions_open_at", "Entries open", self.submissions_open_at),
            ("submissions_close_at", "Entries close", self.submissions_close_at),
            ("voting_open_at", "Voting opens", self.voting_open_at),
            ("voting_close_at", "Voting closes", self.voting_close_at),
            ("results_at", "Results", self.results_at),
        ]

    def next_deadline(self, at=None):
        """The next (label, time) after now, or None when all have passed."""
        at = at or clock.now()
        upcoming = [(label, t) for _, label, t in self.timeline() if t > at]
        return min(upcoming, key=lambda item: item[1]) if upcoming else None

    def __repr__(self):
        return f"<Contest {self.slug}>"


class AcceptedPhone(db.Model):
    """A phone model the contest accepts; aliases are other names of the same model."""

    __tablename__ = "accepted_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(80))
    aliases: Mapped[list] = mapped_column(JSON, default=list)

    contest: Mapped[Contest] = relationship(back_populates="phones")

    @property
    def label(self):
        return f"{self.make} {self.model}"
