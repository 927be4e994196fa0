"""Account emails: the confirmation link and the password-reset link.

Both build absolute links, so they need a request context or SERVER_NAME.
They return False instead of raising when the mail server fails, so a
sign-up never dies half-way because SMTP is down; the user can ask again.
"""
import logging

from flask import url_for

# Not `from contest import mail`: that attribute may be the Mail extension,
# which contest/__init__.py imports under the same name.
from contest.mail import send as send_mail
from contest.operations import users

log = logging.getLogger(__name__)


def send_verification_email(user):
    """Email user a link that confirms their address (valid for 7 days)."""
    link = url_for("auth.verify", token=users.verification_token(user), _external=True)
    return _send(user, "Confirm your email address", "verify_email", link,
                 days=users.VERIFY_MAX_AGE // 86400)


def send_reset_email(user):
    """Email user a single-use link to choose a new password (valid for 1 hour)."""
    link = url_for("auth.reset", token=users.reset_token(user), _external=True)
    return _send(user, "Reset your password", "reset_password", link,
                 minutes=users.RESET_MAX_AGE // 60)


def _send(user, subject, template, link, **context):
    try:
        send_mail(user.email, subject, template, user=user, link=link, **context)
    except OSError:  # smtplib errors are OSErrors too
        log.exception("could not send the %s email to user %s", template, user.public_id)
        return False
    return True
