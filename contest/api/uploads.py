"""Resumable uploads in the API: the browser's protocol (contest/uploads/) with bearer tokens.

When the storage is a local folder, the part URLs point back here (PUT with the
same Authorization header); with S3 they are presigned URLs that need no header.
"""
from flask import g, jsonify, request, url_for

from contest.api import bp
from contest.api.auth import token_required
from contest.api.films import film_resource
from contest.errors import DomainError
from contest.operations import uploads as ops
from contest.operations.contests import get_contest


@bp.post("/uploads")
@token_required
def create_upload():
    data = _json_body()
    contest = get_contest(str(data.get("contest") or ""))
    upload = ops.start_upload(contest, g.api_user, file_name=data.get("file_name"),
                              size=data.get("size"), fingerprint=data.get("fingerprint"))
    response = jsonify(ops.describe(upload))
    response.headers["Location"] = url_for("api.get_upload", public_id=upload.public_id)
    return response, 201


@bp.get("/uploads/<public_id>")
@token_required
def get_upload(public_id):
    return jsonify(ops.describe(ops.get_upload(public_id, g.api_user)))


@bp.get("/uploads/<public_id>/parts")
@token_required
def list_upload_parts(public_id):
    return jsonify({"parts": ops.list_parts(ops.get_upload(public_id, g.api_user))})


@bp.get("/uploads/<public_id>/parts/<int:number>/target")
@token_required
def upload_part_target(public_id, number):
    upload = ops.get_upload(public_id, g.api_user)
    local = url_for("api.put_upload_part", public_id=public_id, number=number, _external=True)
    return jsonify(ops.part_target(upload, number, local))


@bp.put("/uploads/<public_id>/parts/<int:number>")
@token_required
def put_upload_part(public_id, number):
    upload = ops.get_upload(public_id, g.api_user)
    etag = ops.receive_part(upload, number, request.stream, request.content_length)
    response = jsonify({"part_number": number, "etag": etag})
    response.headers["ETag"] = etag
    return response


@bp.post("/uploads/<public_id>/complete")
@token_required
def complete_upload(public_id):
    data = _json_body()
    film = ops.complete_upload(ops.get_upload(public_id, g.api_user), title=data.get("title"),
                               description=data.get("description"))
    response = jsonify(film_resource(film))
    response.headers["Location"] = url_for("api.get_film", public_id=film.public_id)
    return response, 202


@bp.delete("/uploads/<public_id>")
@token_required
def abort_upload(public_id):
    ops.abort_upload(ops.get_upload(public_id, g.api_user))
    return "", 204


def _json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("Send a JSON object.", status=400)
    return data
