"""Bearer-token access rules as decorators; the API never reads the session cookie."""
from functools import wraps

from flask import g, request
from werkzeug.exceptions import Forbidden

from contest.errors import json_error
from contest.operations.users import user_for_token

REALM = 'Bearer realm="api"'


def unauthorized(message, invalid_token=False):
    """A 401 JSON error with the WWW-Authenticate challenge clients expect (RFC 6750)."""
    response = json_error(401, message)
    challenge = REALM + (', error="invalid_token"' if invalid_token else "")
    response.headers["WWW-Authenticate"] = challenge
    return response


def bearer_token():
    """The raw token from 'Authorization: Bearer TOKEN', or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_required(view):
    """Let the view run only for an active user with a live token (g.api_user, g.api_token)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        token = bearer_token()
        if token is None:
            return unauthorized("Send an API token: Authorization: Bearer TOKEN.")
        user = user_for_token(token)
        if user is None:
            return unauthorized("That API token is not valid or was revoked.", True)
        g.api_user, g.api_token = user, token
        return view(*args, **kwargs)

    return wrapped


def organizer_required(view):
    """token_required, and the user must be an organizer."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.api_user.is_organizer:
            raise Forbidden("Only organizers may do this.")
        return view(*args, **kwargs)

    return token_required(wrapped)
