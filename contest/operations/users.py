"""Accounts: sign-up, sign-in, roles and API tokens."""
import secrets

from email_validator import EmailNotValidError, validate_email
from werkzeug.security import check_password_hash, generate_password_hash

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import ApiToken, User
from contest.models.users import ROLES

MIN_PASSWORD = 8
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
    db.session.commit()
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
