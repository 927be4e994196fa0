"""Voting from the film page (a form, or JSON for vote.js) and the organizers' audit export."""
import csv
import io

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.exceptions import Unauthorized

from contest.auth.helpers import safe_next
from contest.errors import DomainError, wants_json
from contest.extensions import limiter
from contest.gallery import bp
from contest.operations import votes
from contest.operations.contests import get_contest
from contest.operations.films import get_film

# Per account: plenty for a person going through a gallery, not for a script.
DEFAULT_ACCOUNT_LIMIT = "30 per minute;300 per hour"
# Per address: higher, since a school or a phone network puts many people behind one.
DEFAULT_ADDRESS_LIMIT = "60 per minute;1000 per hour"
LIMIT_MESSAGE = "Too many votes in a short time; wait a minute and try again."


class VoteForm(FlaskForm):
    """No fields: the form is there for its CSRF token."""


def _account_limit():
    return current_app.config.get("VOTE_RATE_LIMIT_ACCOUNT", DEFAULT_ACCOUNT_LIMIT)


def _address_limit():
    return current_app.config.get("VOTE_RATE_LIMIT_ADDRESS", DEFAULT_ADDRESS_LIMIT)


def _account_key():
    """The voter: the API's token user, else the signed-in user, else the address."""
    user = g.get("api_user") or current_user
    if user.is_authenticated:
        return f"account:{user.public_id}"
    return f"address:{get_remote_address()}"


def vote_rate_limits(view):
    """Limits per account and per address, shared by the web form and the API."""
    view = limiter.shared_limit(_address_limit, scope="votes-address",
                                error_message=LIMIT_MESSAGE)(view)
    return limiter.shared_limit(_account_limit, scope="votes-account", key_func=_account_key,
                                error_message=LIMIT_MESSAGE)(view)


@bp.app_template_global()
def votes_visible(contest):
    return votes.votes_visible(contest)


@bp.app_template_global()
def voting_state(contest):
    return votes.voting_state(contest)


@bp.post("/films/<public_id>/vote")
@vote_rate_limits
def vote(public_id):
    return _change(public_id, cast=True)


@bp.post("/films/<public_id>/unvote")
@vote_rate_limits
def unvote(public_id):
    return _change(public_id, cast=False)


def _change(public_id, cast):
    film = get_film(public_id)
    film_page = url_for("gallery.film", public_id=film.public_id)
    if not current_user.is_authenticated:
        if wants_json():
            raise Unauthorized("Sign in to vote.")
        return redirect(url_for("auth.login", next=film_page))
    if not VoteForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    user = current_user._get_current_object()
    back = safe_next(request.form.get("next")) or film_page
    try:
        if cast:
            result = votes.cast_vote(film, user, ip=request.remote_addr,
                                     user_agent=request.user_agent.string)
        else:
            result = votes.withdraw_vote(film, user)
    except DomainError as error:
        if wants_json():
            raise
        flash(error.message, "error")
        return redirect(back)
    if wants_json():
        return jsonify(votes.vote_summary(film.contest, result))
    return redirect(back)


@bp.get("/contests/<slug>/votes.csv")
@login_required
def votes_csv(slug):
    contest = get_contest(slug)
    if not current_user.is_organizer:
        abort(403, "Only organizers may export the votes.")
    headers = {
        "Content-Disposition": f'attachment; filename="{contest.slug}-votes.csv"',
        "Cache-Control": "no-store",
    }
    lines = stream_with_context(_csv_lines(votes.audit_rows(contest)))
    return Response(lines, mimetype="text/csv", headers=headers)


def _csv_lines(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(votes.AUDIT_COLUMNS)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 8192:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
