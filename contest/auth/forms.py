"""Sign-up, sign-in and password forms; the rules themselves live in operations.users."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from contest.operations.users import MIN_PASSWORD

# Generous, but stops a megabyte "password" from keeping scrypt busy.
MAX_PASSWORD = 256
PASSWORD_HINT = f"At least {MIN_PASSWORD} characters."


def _new_password(label):
    return PasswordField(label, validators=[
        DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD)
    ], description=PASSWORD_HINT)


def _confirm():
    return PasswordField("Type the password again", validators=[
        DataRequired(), EqualTo("password", message="The two passwords do not match.")
    ])


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    display_name = StringField(
        "Display name", validators=[DataRequired(), Length(max=80)],
        description="Shown next to your films. You can use your real name or a nickname.",
    )
    password = _new_password("Password")
    confirm = _confirm()


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField("Keep me signed in on this device")


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    password = _new_password("New password")
    confirm = _confirm()


class ResendForm(FlaskForm):
    """No fields: it carries the CSRF token of the resend button."""


def show_error(form, error):
    """Put a DomainError's message on the field it names, or on the whole form."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        form.form_errors.append(error.message)
