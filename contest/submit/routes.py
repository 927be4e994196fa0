import os
import tempfile

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contest.errors import DomainError
from contest.jobs import film_progress
from contest.media.links import media_links
from contest.operations.contests import get_contest
from contest.operations.films import check_can_enter, check_size, get_film, submit_film
from contest.submit import bp
from contest.submit.forms import EntryForm

MB = 1024 * 1024
# Room for the form fields and multipart framing around the file itself.
FORM_OVERHEAD = MB


def wants_json():
    return request.accept_mimetypes.best == "application/json"


@bp.route("/contests/<slug>/enter", methods=["GET", "POST"])
@login_required
def enter(slug):
    contest = get_contest(slug)
    if request.method == "POST":
        # Refuse an oversized body before reading it, and cap the read itself.
        check_size(contest, max(0, (request.content_length or 0) - FORM_OVERHEAD))
        request.max_content_length = contest.max_size_mb * MB + FORM_OVERHEAD
    try:
        check_can_enter(contest, current_user)
    except DomainError as error:
        if request.method == "POST":
            return _refused(contest, EntryForm(), error)
        return render_template("submit/closed.html", contest=contest, reason=error.message), 403
    form = EntryForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        if request.method == "POST" and wants_json():
            return jsonify({"errors": form.errors}), 422
        return render_template("submit/enter.html", contest=contest, form=form), status
    try:
        film = _receive(contest, form)
    except DomainError as error:
        return _refused(contest, form, error)
    target = url_for("submit.film_status", public_id=film.public_id)
    if wants_json():
        return jsonify({"redirect": target, "id": film.public_id}), 202
    return redirect(target)


def _receive(contest, form):
    upload = form.file.data
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        path = os.path.join(tmp, "upload")
        upload.save(path)
        return submit_film(
            contest, current_user,
            title=form.title.data, description=form.description.data,
            path=path, original_name=upload.filename,
        )


def _refused(contest, form, error):
    if wants_json():
        return jsonify({"errors": {error.field or "file": [error.message]}}), error.status
    field = form[error.field] if error.field and error.field in form else form.file
    field.errors = [*field.errors, error.message]
    return render_template("submit/enter.html", contest=contest, form=form,
                           refused=error.message), error.status


@bp.get("/films/<public_id>/status")
@login_required
def film_status(public_id):
    film = _own_film(public_id)
    percent, stage = film_progress(film)
    links = media_links(film)
    return render_template(
        "submit/status.html", film=film, percent=percent, stage=stage,
        poster_url=links["poster_url"],
        rendition_urls={r["height"]: r["url"] for r in links["renditions"]},
    )


@bp.get("/films/<public_id>/progress")
@login_required
def film_progress_json(public_id):
    film = _own_film(public_id)
    percent, stage = film_progress(film)
    return jsonify({"status": film.status, "progress": percent, "stage": stage,
                    "error": film.error})


def _own_film(public_id):
    """The film, for its filmmaker and organizers only (404 for others: nothing to learn)."""
    film = get_film(public_id)
    if film.owner_id != current_user.id and not current_user.is_organizer:
        abort(404)
    return film

