"""Accounts and API tokens."""
import hashlib
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from contest.extensions import db
from contest.models.base import public_id, utcnow

ROLES = ("judge", "organizer")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    # Stored lower-cased, so the unique index is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None]
    is_judge: Mapped[bool] = mapped_column(default=False)
    is_organizer: Mapped[bool] = mapped_column(default=False)
    suspended_at: Mapped[datetime | None]
    # Touched by every vote first, so one account's votes are taken one at a time.
    last_voted_at: Mapped[datetime | None]
    bio: Mapped[str] = mapped_column(String(500), default="", server_default="")
    website: Mapped[str | None] = mapped_column(String(300))
    # Times are shown and entered in this zone (an IANA name).
    time_zone: Mapped[str] = mapped_column(String(60), default="UTC", server_default="UTC")
    created_ip_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self):
        return self.public_id

    @property
    def is_active(self):
        return self.suspended_at is None

    @property
    def roles(self):
        return [role for role in ROLES if self.has_role(role)]

    def has_role(self, role):
        return bool(getattr(self, f"is_{role}", False))

    def set_password(self, password):
        method = current_app.config["PASSWORD_HASH_METHOD"] if current_app else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def __repr__(self):
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(token):
        return hashlib.sha256(token.encode()).hexdigest()
