"""Accounts: sign-up, sign-in, emailed links, roles and API tokens."""
import hashlib
import secrets
from datetime import UTC

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import ApiToken, User
from contest.models.users import ROLES

MIN_PASSWORD = 8
VERIFY_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 3600
# Checked when no account matches, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")


def normalize_email(email):
    """Lower-cased, syntax-checked address; raises DomainError when it is not one."""
    try:
        valid = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError(f"That email address is not valid: {error}", field="email") from None
    return valid.normalized.lower()


def find_by_email(email):
    try:
        email = normalize_email(email)
    except DomainError:
        return None
    return db.session.scalar(db.select(User).filter_by(email=email))


def check_password_rules(password):
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(
            f"Choose a password of at least {MIN_PASSWORD} characters.", field="password"
        )


def create_user(email, display_name, password, roles=(), verified=False):
    """Sign a new account up; raises DomainError (409) when the email is taken."""
    email = normalize_email(email)
    display_name = (display_name or "").strip() or email.split("@")[0]
    if len(display_name) > 80:
        raise DomainError("Keep the display name under 80 characters.", field="display_name")
    check_password_rules(password)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise DomainError(f"Unknown role: {', '.join(sorted(unknown))}", field="roles")
    if find_by_email(email) is not None:
        raise DomainError(
            "An account with that email already exists.", status=409, field="email"
        )
    user = User(email=email, display_name=display_name)
    user.set_password(password)
    for role in roles:
        setattr(user, f"is_{role}", True)
    if verified:
        user.email_verified_at = clock.now()
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # the same email signed up a moment ago
        db.session.rollback()
        raise DomainError("An account with that email already exists.", status=409,
                          field="email") from None
    return user


def authenticate(email, password):
    """The active user with these credentials, or None; never tells which part was wrong."""
    user = find_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.is_active:
        return None
    return user


def set_password(user, password):
    check_password_rules(password)
    user.set_password(password)
    db.session.commit()


def mark_verified(user):
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        db.session.commit()


def find_active_by_email(email):
    """The account a password-reset email may go to: it exists and is not suspended."""
    user = find_by_email(email)
    return user if user is not None and user.is_active else None


# Emailed links: signed, timed tokens. Each purpose has its own salt, so a
# confirmation link can never be replayed as a reset link.


class _ClockSigner(TimestampSigner):
    """Timestamps from contest.clock, so a frozen clock drives link expiry in tests."""

    def get_timestamp(self):
        return int(clock.now().replace(tzinfo=UTC).timestamp())


def _serializer(purpose):
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"contest.{purpose}", signer=_ClockSigner
    )


def _password_stamp(user):
    # Changes whenever the password does, so a reset link dies once used.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _load_token(purpose, token, max_age):
    """The active user named by a valid token, with its payload; (None, None) otherwise."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except BadData:
        return None, None
    if not isinstance(data, dict):
        return None, None
    user = db.session.scalar(db.select(User).filter_by(public_id=data.get("user")))
    if user is None or not user.is_active:
        return None, None
    return user, data


def verification_token(user):
    return _serializer("verify-email").dumps({"user": user.public_id, "email": user.email})


def reset_token(user):
    stamp = _password_stamp(user)
    return _serializer("reset-password").dumps({"user": user.public_id, "stamp": stamp})


def user_for_reset_token(token):
    """The user a reset link is for, or None when it is forged, expired or already used."""
    user, data = _load_token("reset-password", token, RESET_MAX_AGE)
    if user is None or data.get("stamp") != _password_stamp(user):
        return None
    return user


def reset_password(token, password):
    """Set a new password through a reset link; the link stops working at once."""
    user = user_for_reset_token(token)
    if user is None:
        raise DomainError(
            "This reset link is invalid, has expired or was already used. Ask for a new one.",
            status=400,
        )
    check_password_rules(password)
    user.set_password(password)
    # Opening the emailed link proved the address too.
    user.email_verified_at = user.email_verified_at or clock.now()
    db.session.commit()
    return user


def verify_email(token):
    """Confirm the address a verification link was sent to."""
    user, data = _load_token("verify-email", token, VERIFY_MAX_AGE)
    if user is None or data.get("email") != user.email:
        raise DomainError(
            "This confirmation link is invalid or has expired. Sign in to get a new one.",
            status=400,
        )
    mark_verified(user)
    return user


def grant_role(user, role, granted=True):
    if role not in ROLES:
        raise DomainError(f"Unknown role: {role}", field="roles")
    setattr(user, f"is_{role}", granted)
    db.session.commit()


def issue_token(user):
    """A new bearer token for user; only its hash is stored, so return it now or never."""
    raw = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.hash(raw)))
    db.session.commit()
    return raw


def user_for_token(raw):
    """The active user behind a bearer token, or None when unknown or revoked."""
    if not raw:
        return None
    token = db.session.scalar(db.select(ApiToken).filter_by(token_hash=ApiToken.hash(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = clock.now()
    db.session.commit()
    return token.user


def revoke_token(raw):
    """Revoke one token; True when it existed."""
    token = db.session.scalar(db.select(ApiToken).filter_by(token_hash=ApiToken.hash(raw)))
    if token is None:
        return False
    token.revoked_at = token.revoked_at or clock.now()
    db.session.commit()
    return True
