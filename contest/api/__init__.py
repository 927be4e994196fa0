"""JSON API v1: bearer tokens, JSON errors, no CSRF (no cookies are read)."""
from flask import Blueprint

from contest.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Safe to exempt: every API route authenticates by the Authorization header only.
csrf.exempt(bp)

from contest.api import (  # noqa: E402,F401
    contests,
    errors,
    films,
    gallery,
    judging,
    results,
    tokens,
    uploads,
    users,
    votes,
)

errors.init_blueprint(bp)
