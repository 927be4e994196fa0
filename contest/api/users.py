"""POST /users signs up (same rules as the web form); GET /users/me reads the account."""
from flask import current_app, g, jsonify

from contest.api import bp
from contest.api.auth import token_required
from contest.api.inputs import json_object, text_field
from contest.api.resources import user_resource
from contest.auth.emails import send_verification_email
from contest.extensions import limiter
from contest.operations.users import create_user

DEFAULT_SIGNUP_RATE_LIMIT = "20 per hour"


def signup_rate_limit():
    return current_app.config.get("API_SIGNUP_RATE_LIMIT", DEFAULT_SIGNUP_RATE_LIMIT)


@bp.post("/users")
@limiter.limit(signup_rate_limit, error_message="Too many sign-ups from here; try again later.")
def create_account():
    body = json_object()
    user = create_user(
        text_field(body, "email"),
        text_field(body, "display_name", required=False),
        text_field(body, "password"),
    )
    send_verification_email(user)
    return jsonify(user_resource(user)), 201


@bp.get("/users/me")
@token_required
def me():
    return jsonify(user_resource(g.api_user))

