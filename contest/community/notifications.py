"""The bell, the notifications page, the choices per kind, and one-click unsubscribe."""
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contest.community import bp
from contest.community.forms import ButtonForm, chosen, notification_settings_form
from contest.extensions import csrf
from contest.models.community import NOTIFICATION_KINDS
from contest.operations import notifications as ops


@bp.app_template_global()
def unread_notifications():
    """The bell's number for the signed-in user (0 for visitors)."""
    return ops.unread_count(current_user) if current_user.is_authenticated else 0


@bp.get("/notifications")
@login_required
def notifications():
    """The newest notifications; opening the page marks them read."""
    rows = ops.recent(current_user)
    page = render_template("community/notifications.html", rows=rows, labels=ops.LABELS)
    ops.mark_all_read(current_user)
    return page


@bp.get("/notifications/count")
@login_required
def notification_count():
    """{"unread": n} for the bell (static/js/community.js refreshes it)."""
    response = jsonify(unread=ops.unread_count(current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def notification_settings():
    form = notification_settings_form(ops.preferences(current_user))
    if form.validate_on_submit():
        ops.save_preferences(current_user, chosen(form))
        flash("Your notification choices are saved.", "success")
        return redirect(url_for("community.notification_settings"))
    if request.method == "POST":
        abort(400)
    return render_template("community/notification_settings.html", form=form,
                           kinds=NOTIFICATION_KINDS, labels=ops.LABELS)


# The token is the credential (no login, no session): mail clients POST here for RFC 8058
# one-click unsubscribe without any CSRF token, and a forged request cannot know the token.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token):
    """GET asks (link scanners must not unsubscribe anyone); POST turns the emails off."""
    user, kind = ops.read_unsubscribe_token(token)
    if request.method == "POST":
        ops.unsubscribe(token)
        return render_template("community/unsubscribed.html", kind=kind, label=ops.LABELS[kind],
                               user=user)
    return render_template("community/unsubscribe.html", kind=kind, label=ops.LABELS[kind],
                           token=token, form=ButtonForm(formdata=None))
