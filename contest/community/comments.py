"""Comments and reports on the web; the film page includes community/_comments.html."""
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from contest.community import bp
from contest.community.forms import (
    ButtonForm,
    CommentForm,
    CommentsSwitchForm,
    EditCommentForm,
    ReportForm,
)
from contest.errors import DomainError
from contest.extensions import limiter
from contest.operations import comments as ops
from contest.operations import moderation
from contest.operations.film_page import can_manage, can_see
from contest.operations.films import get_film

DEFAULT_COMMENT_LIMIT = "5 per minute;100 per day"
DEFAULT_REPORT_LIMIT = "10 per hour"


def _account_key():
    if current_user.is_authenticated:
        return f"account:{current_user.public_id}"
    return f"address:{get_remote_address()}"


def comment_limit(view):
    """Per account, shared by new comments, replies and edits (COMMENT_RATE_LIMIT)."""
    return limiter.shared_limit(
        lambda: current_app.config.get("COMMENT_RATE_LIMIT", DEFAULT_COMMENT_LIMIT),
        scope="comments", key_func=_account_key,
        error_message="You are commenting very fast: wait a little and try again.")(view)


def report_limit(view):
    return limiter.shared_limit(
        lambda: current_app.config.get("REPORT_RATE_LIMIT", DEFAULT_REPORT_LIMIT),
        scope="reports", key_func=_account_key,
        error_message="You have sent many reports: try again later.")(view)


# -- what the partial shows ------------------------------------------------------------------


@dataclass
class CommentsBox:
    film: object
    thread: list
    order: str
    count: int
    can_comment: bool
    can_manage: bool
    reported: set


@bp.app_template_global()
def comments_box(film):
    """Everything templates/community/_comments.html needs for this viewer and ?comments=."""
    order = "old" if request.args.get("comments") == "old" else "new"
    return CommentsBox(film, ops.thread(film, current_user, newest_first=order == "new"), order,
                       ops.count_visible(film), ops.can_comment(film, current_user),
                       can_manage(film, current_user),
                       moderation.reported_comment_ids(film, current_user))


@bp.app_template_global()
def can_change_comment(comment):
    return ops.can_change(comment, current_user)


@bp.app_template_global()
def has_reported(target):
    return moderation.already_reported(target, current_user)


@bp.app_template_filter("comment_html")
def comment_html(body):
    return ops.render_body(body)


# -- pages and actions -----------------------------------------------------------------------


def _film(public_id):
    """A film the visitor may see; hidden films only for their filmmaker and organizers."""
    film = get_film(public_id)
    if not can_see(film, current_user) or (film.hidden_at and not can_manage(film,
                                                                             current_user)):
        abort(404)
    return film


def _back(film, anchor="comments"):
    if request.form.get("back") == "discussion":
        return redirect(url_for("community.discussion", public_id=film.public_id,
                                _anchor=anchor))
    return redirect(url_for("gallery.film", public_id=film.public_id, _anchor=anchor))


def _refused(film, form=None, error=None):
    """Rules that forbid (403, 404) get the error page; slips are flashed on the page."""
    if error is not None and error.status in (403, 404):
        raise error
    messages = [error.message] if error else [m for ms in form.errors.values() for m in ms]
    flash(" ".join(messages) or "That did not work.", "error")
    return _back(film)


@bp.get("/films/<public_id>/comments")
def discussion(public_id):
    """The discussion on a page of its own (the film page shows the same partial)."""
    return render_template("community/comments.html", film=_film(public_id))


@bp.post("/films/<public_id>/comments")
@comment_limit
@login_required
def create(public_id):
    film = _film(public_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _refused(film, form)
    try:
        parent = ops.get_comment(form.parent.data) if form.parent.data else None
        comment = ops.add_comment(film, current_user, form.body.data, parent)
    except DomainError as error:
        return _refused(film, error=error)
    return _back(film, f"c-{comment.public_id}")


@bp.post("/comments/<public_id>/edit")
@comment_limit
@login_required
def edit(public_id):
    comment = ops.get_comment(public_id)
    form = EditCommentForm()
    if not form.validate_on_submit():
        return _refused(comment.film, form)
    try:
        ops.edit_comment(comment, current_user, form.body.data)
    except DomainError as error:
        return _refused(comment.film, error=error)
    return _back(comment.film, f"c-{comment.public_id}")


@bp.post("/comments/<public_id>/delete")
@login_required
def delete(public_id):
    comment = ops.get_comment(public_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    ops.delete_comment(comment, current_user)
    flash("Your comment is deleted.", "success")
    return _back(comment.film)


@bp.post("/films/<public_id>/comments/settings")
@login_required
def switch(public_id):
    film = _film(public_id)
    form = CommentsSwitchForm()
    if not form.validate_on_submit():
        abort(400)
    ops.set_comments_enabled(film, current_user, form.enabled.data)
    flash("Comments are on." if film.comments_enabled else "Comments are off.", "success")
    return _back(film)


@bp.post("/films/<public_id>/report")
@report_limit
@login_required
def report_film(public_id):
    film = _film(public_id)
    return _report(film, film)


@bp.post("/comments/<public_id>/report")
@report_limit
@login_required
def report_comment(public_id):
    comment = ops.get_comment(public_id)
    return _report(comment, _film(comment.film.public_id))


def _report(target, film):
    form = ReportForm()
    if not form.validate_on_submit():
        return _refused(film, form)
    try:
        moderation.report(target, current_user, form.reason.data)
    except DomainError as error:
        return _refused(film, error=error)
    flash("Thank you: an organizer will look at your report.", "success")
    return _back(film)
