"""Create, sign, receive, list, complete and abort a resumable upload (JSON)."""
from flask import current_app, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from contest.errors import DomainError, json_error
from contest.operations import uploads as ops
from contest.operations.contests import get_contest
from contest.storage import get_storage
from contest.uploads import bp

SAFE = ("GET", "HEAD", "OPTIONS")


@bp.before_request
def signed_in_with_token():
    """Every endpoint needs a signed-in filmmaker, and state changes the page's CSRF token."""
    if not current_user.is_authenticated:
        return json_error(401, "Sign in to upload a film.")
    if request.method in SAFE or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError as error:
        raise CSRFError(str(error)) from None
    return None


@bp.post("")
def create():
    data = json_body()
    contest = get_contest(str(data.get("contest") or ""))
    upload = ops.start_upload(contest, current_user, file_name=data.get("file_name"),
                              size=data.get("size"), fingerprint=data.get("fingerprint"))
    return jsonify(ops.describe(upload)), 201


@bp.get("/<public_id>")
def show(public_id):
    return jsonify(ops.describe(ops.get_upload(public_id, current_user)))


@bp.get("/<public_id>/parts")
def parts(public_id):
    return jsonify({"parts": ops.list_parts(ops.get_upload(public_id, current_user))})


@bp.get("/<public_id>/parts/<int:number>/target")
def part_target(public_id, number):
    upload = ops.get_upload(public_id, current_user)
    local = url_for("uploads.put_part", public_id=public_id, number=number)
    return jsonify(ops.part_target(upload, number, local, {"X-CSRFToken": generate_csrf()}))


@bp.put("/<public_id>/parts/<int:number>")
def put_part(public_id, number):
    upload = ops.get_upload(public_id, current_user)
    etag = ops.receive_part(upload, number, request.stream, request.content_length)
    response = jsonify({"part_number": number, "etag": etag})
    response.headers["ETag"] = etag
    return response


@bp.post("/<public_id>/complete")
def complete(public_id):
    data = json_body()
    upload = ops.get_upload(public_id, current_user)
    if data.get("agree") is not True:
        raise DomainError("You need to accept the rules to enter.", status=422, field="agree")
    film = ops.complete_upload(upload, title=data.get("title"),
                               description=data.get("description"))
    return jsonify({
        "id": film.public_id, "status": film.status,
        "redirect": url_for("submit.film_status", public_id=film.public_id),
        "progress_url": url_for("submit.film_progress_json", public_id=film.public_id),
    }), 202


@bp.delete("/<public_id>")
def abort(public_id):
    ops.abort_upload(ops.get_upload(public_id, current_user))
    return "", 204


@bp.errorhandler(DomainError)
def domain_error(error):
    # Always JSON here, whatever the Accept header says: these are script endpoints.
    body = {"code": error.code, "message": error.message}
    if error.field:
        body["field"] = error.field
    return jsonify({"error": body}), error.status


@bp.errorhandler(HTTPException)
def http_error(error):
    return json_error(error.code, error.description or error.name)


def json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("Send a JSON object.", status=400)
    return data


@bp.app_template_global()
def upload_part_size():
    """The part size the upload page's script must cut files into (see part_size_for)."""
    return ops.part_size_for(1, get_storage().backend)
