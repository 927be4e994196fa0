"""The organizer console at /admin: contests, dashboard, entries, votes, users, moderation.

Gated in one place: every route needs a signed-in organizer (anonymous visitors are
sent to sign in; other accounts get 403).
"""
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_organizer():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if not current_user.is_organizer:
        abort(403, "The organizer console is for organizers.")
    return None


from contest.admin import contests, entries, people, votes  # noqa: E402,F401
