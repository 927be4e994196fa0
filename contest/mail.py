"""Sending email: SMTP when MAIL_SERVER is set, otherwise the log (so the demo works)."""
import logging

from flask import current_app, render_template
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend

log = logging.getLogger("contest.mail")


class EmailBackend(BaseEmailBackend):
    """Writes each message to the log instead of sending it."""

    def send_messages(self, email_messages):
        for message in email_messages:
            log.warning(
                "email to %s: %s\n%s", ", ".join(message.to), message.subject, message.body
            )
        return len(email_messages)


def send(to, subject, template, **context):
    """Render templates/email/TEMPLATE.txt and send it to one address."""
    body = render_template(f"email/{template}.txt", **context)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.send()

