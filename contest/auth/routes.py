"""Account pages: sign up, sign in and out, password reset, email confirmation."""
import logging

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from contest.auth import bp
from contest.auth.emails import send_reset_email, send_verification_email
from contest.auth.forms import (
    ForgotForm,
    LoginForm,
    RegisterForm,
    ResendForm,
    ResetForm,
    show_error,
)
from contest.auth.helpers import next_url, safe_next
from contest.errors import DomainError
from contest.extensions import limiter
from contest.operations import users

log = logging.getLogger(__name__)

# One message for unknown email, wrong password and suspended account,
# so the form never tells which accounts exist.
LOGIN_FAILED = "That email and password do not match an account that can sign in."
RESET_SENT = ("If an account uses that address, we have emailed it a link to choose "
              "a new password. The link works for one hour.")
MAIL_FAILED = "We could not send the email just now. Please try again in a few minutes."


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(form.email.data, form.display_name.data, form.password.data)
        except DomainError as error:
            show_error(form, error)
        else:
            login_user(user)
            if send_verification_email(user):
                flash(f"Welcome! We sent a link to {user.email}: open it to confirm your address.")
            else:
                flash(MAIL_FAILED, "warning")
            return redirect(next_url())
    return render_template("auth/register.html", form=form,
                           next=safe_next(request.args.get("next")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(next_url())
        failed = True
        log.info("failed sign-in from %s", request.remote_addr)
    return render_template("auth/login.html", form=form, failed=failed, message=LOGIN_FAILED,
                           next=safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("gallery.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        user = users.find_active_by_email(form.email.data)
        if user is not None:
            send_reset_email(user)
        # The same answer either way: this page must not reveal who has an account.
        flash(RESET_SENT)
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def reset(token):
    if users.user_for_reset_token(token) is None:
        return _bad_link("This reset link is invalid, has expired or was already used.",
                         "auth.forgot", "Ask for a new reset link")
    form = ResetForm()
    if form.validate_on_submit():
        try:
            users.reset_password(token, form.password.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Your password is changed. Sign in with the new one.")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, token=token)


@bp.get("/verify/<token>")
def verify(token):
    try:
        users.verify_email(token)
    except DomainError:
        return _bad_link("This confirmation link is invalid or has expired.",
                         "auth.verify_pending", "Get a new confirmation link")
    flash("Thank you: your email address is confirmed.")
    return redirect(url_for("gallery.index"))


@bp.get("/verify")
@login_required
def verify_pending():
    return render_template("auth/verify.html", form=ResendForm())


@bp.post("/verify/resend")
@limiter.limit("3/minute;10/hour", methods=["POST"])
@login_required
def resend_verification():
    if current_user.email_verified_at is not None:
        flash("Your email address is already confirmed.")
    elif send_verification_email(current_user):
        flash(f"We sent a new link to {current_user.email}.")
    else:
        flash(MAIL_FAILED, "warning")
    return redirect(url_for("auth.verify_pending"))


def _bad_link(message, retry_endpoint, retry_label):
    return render_template("auth/bad_link.html", message=message,
                           retry_url=url_for(retry_endpoint), retry_label=retry_label), 400
