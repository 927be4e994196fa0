"""Films in the API: entering one (multipart) and reading its state."""
import os
import tempfile

from flask import g, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from contest.api import bp
from contest.api.auth import bearer_token, token_required, unauthorized
from contest.errors import DomainError
from contest.jobs import film_progress
from contest.media.links import media_links
from contest.operations.contests import get_contest
from contest.operations.film_page import can_see
from contest.operations.films import check_can_enter, check_size, get_film, submit_film
from contest.operations.users import user_for_token

MB = 1024 * 1024
FORM_OVERHEAD = MB


def film_resource(film):
    percent, _stage = film_progress(film)
    return {
        "id": film.public_id,
        "contest": film.contest.slug,
        "title": film.title,
        "description": film.description,
        "status": film.status,
        "progress": percent,
        "error": film.error,
        "device": {"make": film.device_make, "model": film.device_model,
                   "verdict": film.device_verdict},
        "duration_s": film.duration_s,
        "width": film.width,
        "height": film.height,
        **media_links(film),
        "url": url_for("gallery.film", public_id=film.public_id, _external=True),
        "embed_url": url_for("gallery.embed", public_id=film.public_id, _external=True),
    }


@bp.post("/contests/<slug>/films")
@token_required
def create_film(slug):
    contest = get_contest(slug)
    check_can_enter(contest, g.api_user)
    check_size(contest, max(0, (request.content_length or 0) - FORM_OVERHEAD))
    request.max_content_length = contest.max_size_mb * MB + FORM_OVERHEAD
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError("Send the video as the multipart field 'file'.", status=400,
                          field="file")
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        path = os.path.join(tmp, "upload")
        upload.save(path)
        film = submit_film(contest, g.api_user, title=request.form.get("title"),
                           description=request.form.get("description"),
                           path=path, original_name=upload.filename)
    response = jsonify(film_resource(film))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_film", public_id=film.public_id)
    return response


@bp.get("/films/<public_id>", endpoint="get_film")
def get_film_json(public_id):
    token = bearer_token()
    user = user_for_token(token) if token else None
    if token and user is None:
        return unauthorized("That API token is not valid or was revoked.", True)
    film = get_film(public_id)
    if not can_see(film, user):
        raise NotFound("No film has that address.")
    return jsonify(film_resource(film))

