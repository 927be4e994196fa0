"""POST /tokens signs in and returns a bearer token; DELETE /tokens/current signs out."""
from flask import current_app, g, jsonify

from contest.api import bp
from contest.api.auth import token_required, unauthorized
from contest.api.inputs import json_object, text_field
from contest.extensions import limiter
from contest.operations.users import authenticate, issue_token, revoke_token

# Guessing passwords costs one request per guess; keep guesses few per address.
DEFAULT_TOKEN_RATE_LIMIT = "10 per minute"


def token_rate_limit():
    return current_app.config.get("API_TOKEN_RATE_LIMIT", DEFAULT_TOKEN_RATE_LIMIT)


@bp.post("/tokens")
@limiter.limit(token_rate_limit, error_message="Too many sign-in attempts; try again soon.")
def create_token():
    body = json_object()
    user = authenticate(text_field(body, "email"), text_field(body, "password"))
    if user is None:
        # One message whatever was wrong, so the answer never tells which accounts exist.
        return unauthorized("Wrong email or password.")
    response = jsonify({"token": issue_token(user)})
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.delete("/tokens/current")
@token_required
def revoke_current_token():
    revoke_token(g.api_token)
    return "", 204
