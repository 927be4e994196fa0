"""Forms of the community pages; the rules themselves live in contest.operations."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

from contest.models.community import NOTIFICATION_KINDS
from contest.operations.comments import BODY_MAX
from contest.operations.moderation import REASON_MAX
from contest.operations.profiles import BIO_MAX, NAME_MAX, WEBSITE_MAX


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired("Write something first."),
                                                Length(max=BODY_MAX)])
    parent = HiddenField()


class EditCommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired("Write something first."),
                                                Length(max=BODY_MAX)])


class ReportForm(FlaskForm):
    reason = TextAreaField("What is wrong?", validators=[
        DataRequired("Say what is wrong."), Length(max=REASON_MAX)])


class CommentsSwitchForm(FlaskForm):
    enabled = BooleanField("Allow comments on this film")


class ButtonForm(FlaskForm):
    """Only the CSRF token: a button that does one thing."""


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=NAME_MAX)])
    bio = TextAreaField("Short bio", validators=[Length(max=BIO_MAX)],
                        description=f"Up to {BIO_MAX} characters, plain text.")
    website = URLField("Your site or social account", validators=[Optional(),
                                                                   Length(max=WEBSITE_MAX)],
                       description="A full address, such as https://example.com/you")


def notification_settings_form(choices, **kwargs):
    """A form with a site_<kind> and an email_<kind> checkbox for every kind."""

    class NotificationSettingsForm(FlaskForm):
        pass

    for kind in NOTIFICATION_KINDS:
        setattr(NotificationSettingsForm, f"site_{kind}",
                BooleanField("On the site", default=choices[kind]["in_site"]))
        setattr(NotificationSettingsForm, f"email_{kind}",
                BooleanField("By email", default=choices[kind]["email"]))
    return NotificationSettingsForm(**kwargs)


def chosen(form):
    """The form's ticks as {kind: {"in_site": bool, "email": bool}}."""
    return {kind: {"in_site": form[f"site_{kind}"].data, "email": form[f"email_{kind}"].data}
            for kind in NOTIFICATION_KINDS}
