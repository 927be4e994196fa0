from flask import abort, send_file
from itsdangerous import BadSignature

from contest.files import bp
from contest.storage import LinkExpired, get_storage, is_public_key


@bp.get("/media/<path:key>")
def public(key):
    # Originals answer 404 like a missing file, so guessing keys teaches nothing.
    if not is_public_key(key):
        abort(404)
    return _send(_local_storage(), key)


@bp.get("/media/signed/<token>")
def signed(token):
    storage = _local_storage()
    try:
        key = storage.key_for_token(token)
    except LinkExpired:
        abort(403, "This link has expired. Ask for a new one.")
    except BadSignature:
        abort(404)
    return _send(storage, key)


def _local_storage():
    storage = get_storage()
    if storage.backend != "local":
        abort(404)
    return storage


def _send(storage, key):
    """Send with Range, ETag and Last-Modified; headers as stored at save()."""
    try:
        info = storage.info(key)
    except FileNotFoundError:
        abort(404)
    response = send_file(storage.path(key), mimetype=info["content_type"], conditional=True,
                         etag=True, max_age=None)
    response.headers["Cache-Control"] = info["cache_control"]
    return response
